import type { MetricPoint, StoredLog, StoredRun } from "../store/store.js";

/** What a run's SSE subscribers receive. */
export type RunEvent =
  | {
      readonly type: "metrics";
      readonly data: { readonly stream: string; readonly points: readonly MetricPoint[] };
    }
  | { readonly type: "logs"; readonly data: { readonly logs: readonly Omit<StoredLog, "sequence">[] } }
  | { readonly type: "status"; readonly data: { readonly run: StoredRun } };

type Listener = (event: RunEvent) => void;

/**
 * Fans out what was just stored to the live subscribers of a run. In-process only: with several server
 * processes in front of one PostgreSQL, a subscriber sees the writes that reached its own process.
 */
export class RunEvents {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #closers = new Set<() => void>();

  subscribe(runId: string, listener: Listener, onClose: () => void): () => void {
    let set = this.#listeners.get(runId);
    if (!set) this.#listeners.set(runId, (set = new Set()));
    set.add(listener);
    this.#closers.add(onClose);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(runId);
      this.#closers.delete(onClose);
    };
  }

  publish(runId: string, event: RunEvent): void {
    for (const listener of this.#listeners.get(runId) ?? []) listener(event);
  }

  /** True when someone listens to this run (publishing can be skipped otherwise). */
  hasListeners(runId: string): boolean {
    return this.#listeners.has(runId);
  }

  /** Ends every open stream (shutdown: they would otherwise keep the server draining forever). */
  closeAll(): void {
    for (const close of [...this.#closers]) close();
    this.#closers.clear();
  }
}
