import { errorClass, type LabrunError, ServerRequestError } from "../../errors.js";

export interface WireError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly details?: unknown;
}

/**
 * The labrun error a server answered with, as the class `errorTable` gives its code (the class the server
 * threw: `StoredRunNotFoundError` for RUN_NOT_FOUND, …) carrying the server's message and details, or a
 * `ServerRequestError` with the code when this copy of labrun has no class for it (a newer server).
 */
export function rebuildError(status: number, body: WireError | undefined): LabrunError {
  const code =
    typeof body?.code === "string" && body.code ? body.code : status >= 500 ? "INTERNAL" : "BAD_REQUEST";
  const message =
    typeof body?.message === "string" && body.message
      ? body.message
      : `The server answered HTTP ${status} without an error body.`;
  const details =
    typeof body?.details === "object" && body.details !== null
      ? (body.details as Record<string, unknown>)
      : {};
  const Class = errorClass(code);
  if (!Class) return new ServerRequestError(code, message, status, details);
  // Not through the constructor: it would write its own message from arguments we do not have.
  const error = Object.create(Class.prototype) as LabrunError;
  const capture = new Error(message);
  Object.defineProperties(error, {
    message: { value: message, writable: true, configurable: true },
    name: { value: Class.name, writable: true, configurable: true },
    code: { value: code, enumerable: true },
    details: { value: Object.freeze({ ...details, status }), enumerable: true },
    stack: { value: capture.stack?.replace(/^Error/, Class.name), writable: true, configurable: true },
    [Symbol.for("labrun.error")]: { value: true },
  });
  return error;
}
