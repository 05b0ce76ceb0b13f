import * as errors from "../../errors.js";
import { LabrunError, ServerRequestError } from "../../errors.js";

type ErrorClass = new (...args: never[]) => LabrunError;

let byCode: Map<string, ErrorClass> | undefined;

// The code of a class is an instance field: find it by building one with no arguments. Classes whose
// constructor needs its arguments and throws without them are left out (ServerRequestError stands in).
function codeTable(): Map<string, ErrorClass> {
  if (byCode) return byCode;
  byCode = new Map();
  for (const value of Object.values(errors)) {
    if (typeof value !== "function" || !(value.prototype instanceof LabrunError)) continue;
    if (value === ServerRequestError) continue;
    try {
      const probe = Reflect.construct(value, []) as LabrunError;
      if (!byCode.has(probe.code)) byCode.set(probe.code, value as ErrorClass);
    } catch {
      // needs its arguments
    }
  }
  return byCode;
}

export interface WireError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly details?: unknown;
}

/**
 * The labrun error a server answered with, as the same class the server threw (`RunNotFoundError` for
 * RUN_NOT_FOUND, …) carrying the server's message and details, or a `ServerRequestError` with the code when
 * this copy of labrun has no class for it.
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
  const Class = codeTable().get(code);
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
