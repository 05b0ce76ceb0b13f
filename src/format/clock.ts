import { TrackingValueError } from "../errors.js";
import type { JsonFields } from "./json-codec.js";

/** Now as ISO 8601 UTC with milliseconds and a `Z` (`2026-11-23T12:17:36.098Z`). */
export function isoNow(): string {
  return new Date().toISOString();
}

/** Now in seconds since the epoch, with a fraction: the `_ts` of metric points and tracks. */
export function epochSeconds(ms = Date.now()): number {
  return ms / 1000;
}

/**
 * The `_ts` of each point of a run, in seconds: now when not given, the previous point's with `-1` (ML-Dash's
 * way to give several streams one instant).
 */
export class PointClock {
  #last: number | undefined;

  stamp(given: unknown, nowMs: number): number {
    if (given === undefined) return (this.#last = nowMs / 1000);
    if (given === -1) {
      if (this.#last === undefined)
        throw new TrackingValueError("_ts: -1 reuses the previous timestamp, but nothing was logged before.");
      return this.#last;
    }
    if (typeof given !== "number" || !Number.isFinite(given)) {
      throw new TrackingValueError(
        `_ts must be a finite number of seconds since the epoch (or -1), not ${String(given)}.`,
      );
    }
    return (this.#last = given);
  }
}

/** A metric point's fields and its `_ts` (undefined when not given), split; `what` names the point in errors. */
export function splitPointTime(
  fields: JsonFields,
  what: "metric point" | "track entry" = "metric point",
): { data: JsonFields; given: unknown } {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    const example = what === "metric point" ? "{ loss: 0.5, step: 3 }" : "{ _ts: 1.5, x: 0.1 }";
    throw new TrackingValueError(`A ${what} is an object of fields, e.g. ${example}.`);
  }
  if (fields._ts === undefined) return { data: fields, given: undefined };
  const { _ts, ...rest } = fields;
  return { data: rest, given: _ts };
}
