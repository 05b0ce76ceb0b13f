import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { isLabrunError, StoreSchemaError, StoreUnavailableError, UsageError } from "../../../errors.js";
import { sqlitePath } from "../../open-store.js";
import { guardDriver } from "../db-errors.js";
import { migrate } from "../migrate.js";
import { migrations } from "../schema.js";
import type { SqlDriver, SqlExecutor } from "../sql-driver.js";

/** The tables `labrun store copy` copies, parents first. */
export const copiedTables = [
  "runs",
  "run_tags",
  "run_params",
  "run_batches",
  "run_latest",
  "metric_streams",
  "metric_chunks",
  "metric_groups",
  "run_logs",
  "run_files",
  "auth_tokens",
] as const;

/** Tables deliberately not copied: the target keeps its own migration record. */
export const uncopiedTables = ["schema_migrations"] as const;

/** One database of a copy, migrated to this labrun's schema. */
export interface CopyDatabase {
  readonly driver: SqlDriver;
  /** Where it is, for messages (no password). */
  readonly where: string;
}

/** A source database read through one snapshot: what the copy sees does not move while servers write. */
export interface CopySource extends CopyDatabase {
  readonly snapshot: SqlExecutor;
  /** Ends the snapshot and closes the database. */
  close(): Promise<void>;
}

/** A URL without its password, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

/**
 * Opens `sqlite:PATH` or `postgres://…` for a copy and migrates it. A SQLite source must exist: a wrong path
 * must not make an empty database and copy nothing.
 */
export async function openCopyDatabase(uri: string, role: "source" | "target"): Promise<CopyDatabase> {
  const where = redactUri(uri);
  let driver: SqlDriver;
  if (/^sqlite:/i.test(uri)) {
    const file = resolve(sqlitePath(uri));
    if (role === "source" && !existsSync(file)) {
      throw new UsageError(
        `No SQLite database at ${file} (--from). Give the server's database: by default ` +
          "<workspace>/server/labrun.db (sqlite:~/.labrun/server/labrun.db).",
      );
    }
    const { SqliteDriver } = await import("../../sqlite/sqlite-driver.js");
    try {
      driver = guardDriver(new SqliteDriver(file), file);
    } catch (error) {
      throw new StoreUnavailableError(file, (error as Error).message, error);
    }
  } else if (/^postgres(ql)?:\/\//i.test(uri)) {
    const { PostgresDriver } = await import("../../postgres/postgres-driver.js");
    driver = guardDriver(new PostgresDriver(uri, { maxConnections: 3 }), where);
  } else {
    throw new UsageError(
      `--${role === "source" ? "from" : "to"} ${where} is not a database: use sqlite:PATH or postgres://user:pass@host:5432/db.`,
    );
  }
  try {
    await migrate(driver, migrations);
  } catch (error) {
    await driver.close().catch(() => undefined);
    if (isLabrunError(error)) throw error;
    throw new StoreUnavailableError(where, (error as Error).message, error);
  }
  return { driver, where };
}

/** Opens the source and starts its read snapshot (SQLite: a deferred read transaction in WAL mode). */
export async function openCopySource(uri: string): Promise<CopySource> {
  const database = await openCopyDatabase(uri, "source");
  const { driver } = database;
  if (driver.dialect === "sqlite") {
    // A read transaction: writers of a live server go on; this connection keeps seeing the same snapshot.
    await driver.run("BEGIN");
    await driver.all("SELECT COUNT(*) AS n FROM schema_migrations");
    return {
      ...database,
      snapshot: driver,
      close: async () => {
        await driver.run("COMMIT").catch(() => undefined);
        await driver.close();
      },
    };
  }
  // PostgreSQL: one connection in a REPEATABLE READ, READ ONLY transaction.
  let release: (() => Promise<void>) | undefined;
  let ended: Promise<unknown> = Promise.resolve();
  const ready = new Promise<SqlExecutor>((resolveReady, rejectReady) => {
    const done = driver
      .transaction(async (tx) => {
        await tx.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        await tx.all("SELECT COUNT(*) AS n FROM schema_migrations");
        await new Promise<void>((resolveEnd) => {
          release = async () => resolveEnd();
          resolveReady(tx);
        });
      })
      .catch(rejectReady);
    ended = done;
  });
  const snapshot = await ready;
  return {
    ...database,
    snapshot,
    close: async () => {
      await release?.();
      await ended.catch(() => undefined);
      await driver.close();
    },
  };
}

/** The tables of a database (not SQLite's own). */
export async function listTables(db: SqlExecutor, dialect: SqlDriver["dialect"]): Promise<string[]> {
  const rows =
    dialect === "sqlite"
      ? await db.all<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
      : await db.all<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        );
  return rows.map((row) => row.name).sort();
}

/**
 * Refuses a source with a table this copy does not know: copying it without that table would silently drop
 * its data (a newer schema than the copier, or a table added without teaching the copy about it).
 */
export async function checkSourceTables(source: CopySource): Promise<void> {
  const known = new Set<string>([...copiedTables, ...uncopiedTables]);
  const unknown = (await listTables(source.snapshot, source.driver.dialect)).filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new StoreSchemaError(
      `The source ${source.where} has table(s) ${unknown.join(", ")} that this labrun cannot copy; nothing ` +
        "was written. Copy with the labrun version that wrote the database (or a newer one).",
      { details: { tables: unknown } },
    );
  }
}
