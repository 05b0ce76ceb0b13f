import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { mapDatabaseError } from "../sql/db-errors.js";
import { migrate } from "../sql/migrate.js";
import { migrations } from "../sql/schema.js";
import { SqlStore } from "../sql/sql-store.js";
import { SqliteDriver } from "./sqlite-driver.js";

/**
 * Runs and tokens in one SQLite file (WAL mode), the team server's default database: nothing to install.
 * Open it with `SqliteStore.open(path)` or `openStore("sqlite:PATH")`; the schema is migrated at open.
 *
 * @example
 * const store = await SqliteStore.open("/srv/labrun/labrun.db");
 */
export class SqliteStore extends SqlStore {
  private constructor(
    readonly path: string,
    driver: SqliteDriver,
  ) {
    super("sqlite", driver, path, "");
  }

  /** Opens (creating when missing) the database file and applies pending schema migrations. */
  static async open(path: string): Promise<SqliteStore> {
    const file = path === ":memory:" ? path : resolve(path);
    let driver: SqliteDriver;
    try {
      if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
      driver = new SqliteDriver(file);
    } catch (error) {
      throw mapDatabaseError(file, error);
    }
    try {
      await migrate(driver, migrations);
    } catch (error) {
      await driver.close();
      throw error;
    }
    return new SqliteStore(file, driver);
  }

  /** Schema versions applied to this database, oldest first. */
  async schemaVersions(): Promise<number[]> {
    const rows = await this.driver.all<{ version: number }>(
      `SELECT version FROM schema_migrations ORDER BY version`,
    );
    return rows.map((row) => Number(row.version));
  }
}
