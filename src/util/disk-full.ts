/** Codes that say the disk is full: Node's, SQLite's, PostgreSQL's SQLSTATE `disk_full`. */
const fullCodes = new Set(["ENOSPC", "EDQUOT", "EFBIG", "SQLITE_FULL", "53100"]);

/** True when `error` says the disk (or the quota) is full, whatever layer raised it. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && (fullCodes.has(code) || code.startsWith("SQLITE_FULL"));
}

/** The code of a Node or driver error, for messages (`ENOSPC`, `SQLITE_FULL`, …). */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : ((error as Error | undefined)?.message ?? String(error));
}

/** True for an error the system raised for a file operation (an errno code: ENOSPC, EIO, EACCES, …). */
export function isSystemIoError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}
