import {
  isErrorCode,
  isLabrunError,
  MlflowRequestError,
  StorageFullError,
  type ErrorCode,
} from "../../errors.js";
import { errorCodeOf, isDiskFull } from "../../util/disk-full.js";

/** MLflow's `error_code` and HTTP status for labrun's error codes. */
const mlflowCodeOf: Readonly<Partial<Record<ErrorCode, readonly [string, number]>>> = Object.freeze({
  RUN_NOT_FOUND: ["RESOURCE_DOES_NOT_EXIST", 404],
  FILE_NOT_FOUND: ["RESOURCE_DOES_NOT_EXIST", 404],
  NOT_FOUND: ["ENDPOINT_NOT_FOUND", 404],
  METHOD_NOT_ALLOWED: ["ENDPOINT_NOT_FOUND", 405],
  UNAUTHORIZED: ["UNAUTHENTICATED", 401],
  FORBIDDEN: ["PERMISSION_DENIED", 403],
  PAYLOAD_TOO_LARGE: ["REQUEST_LIMIT_EXCEEDED", 413],
  PARAM_IMMUTABLE: ["INVALID_PARAMETER_VALUE", 400],
  RUN_STATUS_TRANSITION: ["INVALID_STATE", 400],
  STORE_CLOSED: ["TEMPORARILY_UNAVAILABLE", 503],
  STORE_UNAVAILABLE: ["TEMPORARILY_UNAVAILABLE", 503],
  STORAGE_FULL: ["TEMPORARILY_UNAVAILABLE", 507],
  HOST_NOT_ALLOWED: ["PERMISSION_DENIED", 403],
  CROSS_ORIGIN: ["PERMISSION_DENIED", 403],
  UNSUPPORTED_MEDIA_TYPE: ["INVALID_PARAMETER_VALUE", 415],
  URI_TOO_LONG: ["REQUEST_LIMIT_EXCEEDED", 414],
  HEADERS_TOO_LARGE: ["REQUEST_LIMIT_EXCEEDED", 431],
});

/** Any thrown value as MLflow's `{error_code, message}` body. */
export function mlflowErrorResponse(
  error: unknown,
  logError: (error: unknown) => void,
): { status: number; body: { error_code: string; message: string } } {
  if (!isLabrunError(error) && isDiskFull(error))
    error = new StorageFullError("its data", errorCodeOf(error), error);
  if (error instanceof MlflowRequestError) {
    return { status: error.status, body: { error_code: error.code, message: error.message } };
  }
  if (isLabrunError(error)) {
    const [code, status] = (isErrorCode(error.code) ? mlflowCodeOf[error.code] : undefined) ?? [
      "INVALID_PARAMETER_VALUE",
      400,
    ];
    return { status, body: { error_code: code, message: error.message } };
  }
  logError(error);
  return {
    status: 500,
    body: {
      error_code: "INTERNAL_ERROR",
      message: "The server failed while handling this request (see its log).",
    },
  };
}

export const invalidParameter = (message: string) =>
  new MlflowRequestError("INVALID_PARAMETER_VALUE", message, 400);
export const doesNotExist = (message: string) =>
  new MlflowRequestError("RESOURCE_DOES_NOT_EXIST", message, 404);
