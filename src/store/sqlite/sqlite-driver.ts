import type Database from "better-sqlite3";
import { createRequire } from "node:module";
import type { SqlDriver, SqlExecutor } from "../sql/sql-driver.js";

/**
 * better-sqlite3 behind the async `SqlDriver`: one connection, WAL, and a queue so that the statements of
 * one transaction never interleave with another caller's (the driver is synchronous, our callers are not).
 */
// Loaded at the first open: importing labrun/store (or labrun) must not load a native module.
let sqliteModule: typeof Database | undefined;
function betterSqlite3(): typeof Database {
  return (sqliteModule ??= createRequire(import.meta.url)("better-sqlite3") as typeof Database);
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
  readonly db: Database.Database;
  #statements = new Map<string, Database.Statement>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    const Sqlite = betterSqlite3();
    this.db = new Sqlite(path);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: a commit survives a crash of the process; only a power loss may lose the last ones.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 10000");
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      // IN lists and multi-row inserts make many texts; a bounded cache keeps memory flat.
      if (this.#statements.size >= 1000) this.#statements.clear();
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all<T>(sql: string, params: readonly unknown[] = []): T[] {
    const statement = this.#prepare(sql);
    if (statement.reader) return statement.all(...params) as T[];
    statement.run(...params);
    return [];
  }

  #run(sql: string, params: readonly unknown[] = []): number {
    const statement = this.#prepare(sql);
    if (statement.reader) {
      statement.all(...params);
      return 0;
    }
    return statement.run(...params).changes;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.#exclusive(async () => this.#all<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#exclusive(async () => this.#run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const tx: SqlExecutor = {
        all: async <R>(sql: string, params?: readonly unknown[]) => this.#all<R>(sql, params),
        run: async (sql: string, params?: readonly unknown[]) => this.#run(sql, params),
      };
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(tx);
        this.db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    await this.#exclusive(async () => this.db.close());
  }
}
