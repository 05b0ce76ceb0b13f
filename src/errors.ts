/**
 * Every error a user can cause, one module to import them from. The classes live in src/errors/ by area; each
 * has a stable `code` (the `ErrorCode` union) with its class and HTTP status in `errorTable`, documented in
 * docs/errors.md. The CLI prints `message` and exits non-zero; it never prints a stack for these.
 */
export type { ErrorCode } from "./errors/error-codes.js";
export { LabrunError, isLabrunError, type ForeignErrorCode } from "./errors/labrun-error.js";
export {
  errorTable,
  errorStatus,
  errorClass,
  isErrorCode,
  type ErrorEntry,
  type ErrorStatus,
} from "./errors/error-table.js";
export * from "./errors/experiment-errors.js";
export * from "./errors/usage-errors.js";
export * from "./errors/config-errors.js";
export * from "./errors/tracking-errors.js";
export * from "./errors/server-errors.js";
export * from "./errors/file-storage-errors.js";
export * from "./errors/remote-errors.js";
export * from "./errors/store-errors.js";
export * from "./errors/cluster-errors.js";
export * from "./errors/plan-errors.js";
