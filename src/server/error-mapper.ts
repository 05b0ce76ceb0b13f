import {
  errorStatus,
  errorTable,
  InternalServerError,
  isLabrunError,
  StorageFullError,
  type ErrorCode,
  type ErrorStatus,
} from "../errors.js";
import { errorCodeOf, isDiskFull } from "../util/disk-full.js";

/**
 * HTTP status of every error code (from `errorTable`, the one table of codes, classes and statuses). Anything
 * that is not a LabrunError is a server fault: 500 INTERNAL.
 */
export const statusOfCode: Readonly<Record<ErrorCode, ErrorStatus>> = Object.freeze(
  Object.fromEntries(Object.entries(errorTable).map(([code, entry]) => [code, entry.status])) as Record<
    ErrorCode,
    ErrorStatus
  >,
);

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details: Record<string, unknown>;
  };
}

/** Turns any thrown value into a status and the `{error:{code,message,details}}` body. */
export function errorResponse(
  error: unknown,
  logError: (error: unknown) => void,
): { status: number; body: ErrorBody } {
  // A full disk met by any write (a cancel request of labrun ui, a store without its own mapping): 507.
  if (!isLabrunError(error) && isDiskFull(error))
    error = new StorageFullError("its data", errorCodeOf(error), error);
  if (isLabrunError(error)) {
    // A foreign code (MLflow's, one passed on from another server) carries its own status.
    const own = (error as { status?: unknown }).status;
    const status = errorStatus(error.code) ?? (typeof own === "number" ? own : 400);
    return {
      status,
      body: { error: { code: error.code, message: error.message, details: { ...error.details } } },
    };
  }
  logError(error);
  const internal = new InternalServerError();
  return {
    status: errorTable.INTERNAL.status,
    body: { error: { code: internal.code, message: internal.message, details: {} } },
  };
}
