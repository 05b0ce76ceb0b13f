import { isLabrunError, StoreUnavailableError, StoreUriError } from "../../errors.js";
import { migrate } from "../sql/migrate.js";
import { migrations } from "../sql/schema.js";
import { SqlStore } from "../sql/sql-store.js";
import { PostgresChannel } from "./postgres-channel.js";
import type { PostgresDriverOptions } from "./postgres-driver.js";
import { PostgresDriver } from "./postgres-driver.js";

/**
 * Runs and tokens in a PostgreSQL database, for a team server. The schema is migrated at open (one
 * `schema_migrations` table, an advisory lock so that two servers do not migrate at once).
 *
 * @example
 * const store = await PostgresStore.open("postgres://labrun:secret@db:5432/labrun");
 */
export class PostgresStore extends SqlStore {
  readonly #url: string;
  #channel: PostgresChannel | undefined;

  private constructor(driver: PostgresDriver, url: string) {
    super("postgres", driver, redact(url), " FOR UPDATE");
    this.#url = url;
  }

  static async open(url: string, options: PostgresDriverOptions = {}): Promise<PostgresStore> {
    if (!/^postgres(ql)?:\/\//i.test(url))
      throw new StoreUriError(url, "a PostgreSQL URI starts with postgres://");
    const driver = new PostgresDriver(url, options);
    try {
      await migrate(driver, migrations);
    } catch (error) {
      await driver.close().catch(() => undefined);
      if (isLabrunError(error)) throw error;
      throw new StoreUnavailableError(redact(url), describe(error), error);
    }
    return new PostgresStore(driver, url);
  }

  /** LISTEN/NOTIFY among the servers on this database, on a connection of its own (opened on first use). */
  override channel(): PostgresChannel {
    return (this.#channel ??= new PostgresChannel(this.#url));
  }

  override async close(): Promise<void> {
    await this.#channel?.close();
    await super.close();
  }

  /** Schema versions applied to this database, oldest first. */
  async schemaVersions(): Promise<number[]> {
    const rows = await this.driver.all<{ version: number }>(
      `SELECT version FROM schema_migrations ORDER BY version`,
    );
    return rows.map((row) => Number(row.version));
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://…";
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = (error as Error).message ?? String(error);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}
