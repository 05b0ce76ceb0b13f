import { closeSync, openSync, writeSync } from "node:fs";
import { UsageError } from "../../errors.js";

/** One line of the engine's answer (docs/plan-protocol.md, "The engine's answer"). */
export type PlanEvent = { readonly event: "planned" | "job" | "log" | "result" | "error" } & Readonly<
  Record<string, unknown>
>;

/** Where events go: `fd:N` (a descriptor the caller passed), `-` (stdout) or a file path (appended). */
export class PlanEventSink {
  readonly #fd: number;
  readonly #owned: boolean;
  #broken = false;

  constructor(target: string) {
    const fd = /^fd:(\d+)$/.exec(target);
    if (fd) {
      this.#fd = Number(fd[1]);
      this.#owned = false;
    } else if (target === "-") {
      this.#fd = 1;
      this.#owned = false;
    } else {
      try {
        this.#fd = openSync(target, "a");
      } catch (error) {
        throw new UsageError(`--events ${target}: cannot open it (${(error as Error).message}).`);
      }
      this.#owned = true;
    }
  }

  /** True when events go to stdout (so job output must not). */
  get toStdout(): boolean {
    return this.#fd === 1;
  }

  emit(event: PlanEvent): void {
    if (this.#broken) return;
    // Synchronous: events stay in order and are out before the process exits.
    let bytes = Buffer.from(`${JSON.stringify(event)}\n`);
    for (let spins = 0; bytes.length > 0;) {
      try {
        bytes = bytes.subarray(writeSync(this.#fd, bytes));
      } catch (error) {
        // A full non-blocking pipe: wait for the reader. Anything else (EPIPE: the Python driver was killed):
        // the run goes on without it, as it would detached.
        if ((error as NodeJS.ErrnoException).code === "EAGAIN" && spins++ < 10_000) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        this.#broken = true;
        return;
      }
    }
  }

  close(): void {
    if (this.#owned) closeSync(this.#fd);
  }
}
