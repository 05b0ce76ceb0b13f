import { TrackingValueError } from "../errors.js";

/** Throws the TRACKING_VALUE error for `what`. */
export function fail(what: string, problem: string, value?: unknown): never {
  const shown = value === undefined ? "" : ` (got ${describe(value)})`;
  throw new TrackingValueError(`${what} ${problem}${shown}.`, { details: { field: what, problem } });
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 60) + "…" : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return Array.isArray(value) ? "an array" : typeof value;
}

export function checkObject(what: string, value: unknown): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(what, "must be an object", value);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(what, "must be a plain object", value);
}

export function checkString(what: string, value: unknown, maxLength: number, minLength = 0): string {
  if (typeof value !== "string") fail(what, "must be a string", value);
  if (value.length < minLength)
    fail(what, minLength === 1 ? "must not be empty" : `must have at least ${minLength} characters`);
  if (value.length > maxLength) fail(what, `is longer than ${maxLength} characters`);
  if (value.includes("\0")) fail(what, "contains a NUL character");
  return value;
}

export function checkStringList(
  what: string,
  value: unknown,
  maxItems: number,
  maxLength: number,
): readonly string[] {
  if (!Array.isArray(value)) fail(what, "must be an array of strings", value);
  if (value.length > maxItems) fail(what, `has more than ${maxItems} items`);
  for (const item of value) checkString(`${what}[]`, item, maxLength, 1);
  return value as string[];
}

export function checkNumber(
  what: string,
  value: unknown,
  rules: { integer?: boolean; min?: number; max?: number; finite?: boolean },
): number {
  if (typeof value !== "number" || Number.isNaN(value)) fail(what, "must be a number", value);
  if ((rules.finite || rules.integer) && !Number.isFinite(value)) fail(what, "must be finite", value);
  if (rules.integer && !Number.isSafeInteger(value)) fail(what, "must be an integer", value);
  if (rules.min !== undefined && value < rules.min) fail(what, `must be at least ${rules.min}`, value);
  if (rules.max !== undefined && value > rules.max) fail(what, `must be at most ${rules.max}`, value);
  return value;
}

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with a time zone (`2026-11-23T12:17:36.098Z`). */
export function checkTime(what: string, value: unknown): string {
  if (typeof value !== "string" || !isoTime.test(value) || Number.isNaN(Date.parse(value))) {
    fail(what, "must be an ISO 8601 time such as 2026-11-23T12:17:36.098Z", value);
  }
  return value;
}
