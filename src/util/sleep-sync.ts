const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for a few milliseconds (for a retry inside synchronous code). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
