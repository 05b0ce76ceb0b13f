import type { RunStatus } from "../../format/run-record.js";
import type { RunDescription } from "../run-lifecycle.js";
import type { RemoteSink } from "./remote-sink.js";

/** What `Run` needs of a lifecycle: the local one (experiment.json), the remote one, or both. */
export interface Lifecycle {
  readonly status: RunStatus | undefined;
  open(description: RunDescription): void;
  beat(now?: number): void;
  markCompleted(reason?: string | null): void;
  markFailed(error: unknown, reason?: string | null): void;
  markCancelled(reason?: string | null): void;
}

function errorText(error: unknown, reason: string | null | undefined): string | undefined {
  const message =
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : error === undefined || error === null
        ? undefined
        : String(error);
  if (reason && message) return `${reason}: ${message}`;
  return reason ?? message;
}

/**
 * The status of a run on the server: the server marks it RUNNING when the run is upserted; a final status
 * travels in the last batch, after everything logged before it. The first final status wins. An attached
 * writer never sends one.
 */
export class RemoteLifecycle implements Lifecycle {
  readonly #sink: () => RemoteSink | undefined;
  readonly #owner: boolean;
  readonly #lost: () => number;
  #status: RunStatus | undefined;

  /** `lost`: batches dropped so far (the buffer and the server both failing); then the run cannot complete. */
  constructor(sink: () => RemoteSink | undefined, owner: boolean, lost: () => number = () => 0) {
    this.#sink = sink;
    this.#owner = owner;
    this.#lost = lost;
  }

  get status(): RunStatus | undefined {
    return this.#status;
  }

  open(): void {
    this.#status = "RUNNING";
  }

  beat(): void {}

  markCompleted(reason: string | null = null): void {
    this.#finish("COMPLETED", reason ?? undefined);
  }

  markFailed(error: unknown, reason: string | null = null): void {
    this.#finish("FAILED", errorText(error, reason));
  }

  markCancelled(reason: string | null = null): void {
    this.#finish("CANCELLED", reason ?? undefined);
  }

  #finish(status: RunStatus, error: string | undefined): void {
    if (this.#status !== "RUNNING") return;
    const lost = this.#lost();
    if (status === "COMPLETED" && lost > 0) {
      status = "FAILED";
      error =
        `lost ${lost} batch(es) that neither the buffer nor the server took` + (error ? `; ${error}` : "");
    }
    this.#status = status;
    if (!this.#owner) return;
    this.#sink()?.setStatus({ status, ...(error ? { error } : {}), at: new Date().toISOString() });
  }
}

/** Both: the local file first (its checks and its errors are the reference), then the server. */
export class BothLifecycles implements Lifecycle {
  readonly #local: Lifecycle;
  readonly #remote: Lifecycle;
  constructor(local: Lifecycle, remote: Lifecycle) {
    this.#local = local;
    this.#remote = remote;
  }
  get status(): RunStatus | undefined {
    return this.#local.status;
  }
  open(description: RunDescription): void {
    this.#local.open(description);
    this.#remote.open(description);
  }
  beat(now?: number): void {
    this.#local.beat(now);
  }
  markCompleted(reason?: string | null): void {
    try {
      this.#local.markCompleted(reason);
    } finally {
      this.#remote.markCompleted(reason);
    }
  }
  markFailed(error: unknown, reason?: string | null): void {
    try {
      this.#local.markFailed(error, reason);
    } finally {
      this.#remote.markFailed(error, reason);
    }
  }
  markCancelled(reason?: string | null): void {
    try {
      this.#local.markCancelled(reason);
    } finally {
      this.#remote.markCancelled(reason);
    }
  }
}
