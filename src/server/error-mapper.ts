import { isLabrunError, StorageFullError } from "../errors.js";
import { errorCodeOf, isDiskFull } from "../util/disk-full.js";

/**
 * HTTP status of every error code the API can return. A LabrunError whose code is not listed is a user
 * error (bad input) and gets 400; anything that is not a LabrunError is a server fault: 500 INTERNAL.
 */
export const statusOfCode: Readonly<Record<string, number>> = Object.freeze({
  BAD_REQUEST: 400,
  USAGE: 400,
  INVALID_PREFIX: 400,
  INVALID_TRACKING_NAME: 400,
  TRACKING_VALUE: 400,
  CHECKSUM_MISMATCH: 400,
  INVALID_REGEX: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  HOST_NOT_ALLOWED: 403, // DNS rebinding: a Host name the server does not answer to
  CROSS_ORIGIN: 403, // a state-changing request from a page of another site
  NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  TRACKED_FILE_NOT_FOUND: 404,
  EXPERIMENT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  RUN_STATE: 409,
  RUN_BUSY: 409,
  RUN_STATUS_TRANSITION: 409,
  CORRUPT_RECORD: 409, // a stored record that cannot be read: the request was fine, the data is damaged
  PARAM_IMMUTABLE: 400,
  STORE_CLOSED: 503,
  STORE_UNAVAILABLE: 503, // a database hiccup: clients retry the batch
  STORE_SCHEMA: 500,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  STORAGE_FULL: 507, // disk full (files folder or database): clients keep the data and retry
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
});

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
    const status = statusOfCode[error.code] ?? 400;
    return {
      status,
      body: { error: { code: error.code, message: error.message, details: { ...error.details } } },
    };
  }
  logError(error);
  return {
    status: 500,
    body: {
      error: {
        code: "INTERNAL",
        message:
          "The server failed while handling this request (see its log). Retry; report it if it persists.",
        details: {},
      },
    },
  };
}
