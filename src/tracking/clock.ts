/** Now as ISO 8601 UTC with milliseconds and a `Z` (`2026-11-23T12:17:36.098Z`). */
export function isoNow(): string {
  return new Date().toISOString();
}

/** Now in seconds since the epoch, with a fraction: the `_ts` of metric points and tracks. */
export function epochSeconds(ms = Date.now()): number {
  return ms / 1000;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for a few milliseconds (for a retry inside synchronous code). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
