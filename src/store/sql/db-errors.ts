import { isLabrunError, StorageFullError, StoreUnavailableError } from "../../errors.js";
import { isDiskFull } from "../../util/disk-full.js";
import type { SqlDriver, SqlExecutor } from "./sql-driver.js";

// Conditions of the database itself (not of the request): the same error class on both backends, so the
// server answers 503 and clients retry, whatever the database.
const sqliteCodes = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/;
const nodeCodes = new Set([
  ...["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"],
  ...["ENOTDIR", "EACCES", "EPERM", "EROFS", "ENOSPC", "EISDIR"],
]);

/** True for errors that say the database cannot serve now (connection lost, disk full, locked, shut down). */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") {
    return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      (error as Error | undefined)?.message ?? "",
    );
  }
  // PostgreSQL SQLSTATE classes 08 (connection), 53 (insufficient resources), 57 (operator intervention).
  return sqliteCodes.test(code) || nodeCodes.has(code) || /^(08|53|57)[0-9A-Z]{3}$/.test(code);
}

/**
 * Maps database-level failures to StorageFullError (disk full: 507) or StoreUnavailableError (503); other
 * errors pass unchanged.
 */
export function mapDatabaseError(where: string, error: unknown): unknown {
  if (isLabrunError(error)) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  if (isDiskFull(error))
    return new StorageFullError(
      `the database ${where}`,
      code && !message.includes(code) ? `${code}: ${message}` : message,
      error,
    );
  if (!isUnavailable(error)) return error;
  return new StoreUnavailableError(
    where,
    code && !message.includes(code) ? `${code}: ${message}` : message,
    error,
  );
}

/** The driver with `mapDatabaseError` applied to everything it throws. */
export function guardDriver(driver: SqlDriver, where: string): SqlDriver {
  const map = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      throw mapDatabaseError(where, error);
    });
  const guardExecutor = (executor: SqlExecutor): SqlExecutor => ({
    all: (sql, params) => map(executor.all(sql, params)),
    run: (sql, params) => map(executor.run(sql, params)),
  });
  return {
    dialect: driver.dialect,
    ...guardExecutor(driver),
    transaction: (fn) => map(driver.transaction((tx) => fn(guardExecutor(tx)))),
    withMigrationLock: (fn) => map(driver.withMigrationLock(fn)),
    close: () => driver.close(),
  };
}
