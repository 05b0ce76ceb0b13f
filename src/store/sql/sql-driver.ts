/**
 * The few things the SQL store needs from a database driver. SQL is written once with `?` placeholders
 * in the subset SQLite and PostgreSQL share (ON CONFLICT, RETURNING, partial indexes); each backend folder
 * adapts its driver (better-sqlite3, pg) to this.
 */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export type SqlDialect = "sqlite" | "postgres";

export interface SqlDriver extends SqlExecutor {
  readonly dialect: SqlDialect;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` holding the database-wide migration lock (PostgreSQL: an advisory lock; SQLite: the
   * exclusive write lock of `BEGIN IMMEDIATE` is taken per migration instead).
   */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Column types that differ between the dialects. */
export function sqlTypes(dialect: SqlDialect): {
  blob: string;
  int: string;
  real: string;
  text: string;
  serial: string;
} {
  return dialect === "sqlite"
    ? {
        blob: "BLOB",
        int: "INTEGER",
        real: "REAL",
        text: "TEXT",
        serial: "INTEGER PRIMARY KEY AUTOINCREMENT",
      }
    : {
        blob: "BYTEA",
        int: "BIGINT",
        real: "DOUBLE PRECISION",
        text: 'TEXT COLLATE "C"',
        serial: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
      };
}
