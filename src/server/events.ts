import type { MetricPoint, StoredLog, StoredRun } from "../store/store.js";

/** What a run's SSE subscribers receive. */
export type RunEvent =
  | {
      readonly type: "metrics";
      readonly data: { readonly stream: string; readonly points: readonly MetricPoint[] };
    }
  | { readonly type: "logs"; readonly data: { readonly logs: readonly Omit<StoredLog, "sequence">[] } }
  | { readonly type: "status"; readonly data: { readonly run: StoredRun } };

/**
 * Where an event's records are stored (a metric stream's first index, a log's first sequence): lets another
 * server read an event back from the database when it is too big to be sent along.
 */
export interface EventPosition {
  readonly first: number;
}

type Listener = (event: RunEvent) => void;

/**
 * Live updates of runs: what was just stored goes to the SSE subscribers of the run. `RunEvents` fans out in
 * this process (SQLite, or one server); `SharedRunEvents` also reaches the subscribers of every other server on
 * the same PostgreSQL database. The server picks one by its store (`eventsFor`).
 *
 * Deliberately left out: replay. A subscriber sees what is published while it listens; it reads the past
 * through the API, and re-reads after its stream ends (a slow reader, a lost database connection).
 */
export interface EventBus {
  subscribe(runId: string, listener: Listener, onClose: () => void): () => void;
  /** `position` (metrics, logs): where the event's records were stored, for other servers to read back. */
  publish(runId: string, event: RunEvent, position?: EventPosition): void;
  /** False when no subscriber can want this run's events (publishing can be skipped). */
  hasListeners(runId: string): boolean;
  /** Ends every open stream (shutdown: they would otherwise keep the server draining forever). */
  closeAll(): void;
  /** Stops listening to other servers. */
  close(): Promise<void>;
}

/** Fans out what was just stored to the live subscribers of a run, in this process. */
export class RunEvents implements EventBus {
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

  hasListeners(runId: string): boolean {
    return this.#listeners.has(runId);
  }

  closeAll(): void {
    for (const close of [...this.#closers]) close();
    this.#closers.clear();
  }

  async close(): Promise<void> {}
}
