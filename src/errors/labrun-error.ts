import type { ErrorCode } from "./error-codes.js";

const brand = Symbol.for("labrun.error");

declare const foreign: unique symbol;

/**
 * A code that is not one of this copy's `ErrorCode`s: MLflow's own codes (`MlflowRequestError`), or a code a
 * server or a Python planner answered with that this copy has no class for (`ServerRequestError`).
 */
export type ForeignErrorCode = string & { readonly [foreign]: true };

/** True for errors of any copy of labrun (an experiment file may load its own copy). */
export function isLabrunError(error: unknown): error is LabrunError {
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}

/**
 * Base class of every error a user can cause. Each subclass has a stable `code` (for scripts and the HTTP
 * API, listed with its HTTP status in `errorTable`) and a message that says what to do next. The CLI prints
 * `message` and exits non-zero; it never prints a stack for these.
 *
 * @example
 * try { await Experiment.fromId("nope"); }
 * catch (error) { if (isLabrunError(error) && error.code === "EXPERIMENT_NOT_FOUND") console.error(error.message); }
 */
export class LabrunError extends Error {
  readonly code: ErrorCode | ForeignErrorCode = "LABRUN_ERROR";
  readonly [brand] = true;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = Object.freeze({ ...(options?.details ?? {}) });
  }
}
