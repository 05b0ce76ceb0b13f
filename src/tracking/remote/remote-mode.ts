import { randomUUID } from "node:crypto";
import { TrackingValueError } from "../../errors.js";
import type { RunUpsert } from "../../store/store.js";
import { HttpStore } from "../../store/http/http-store.js";
import { defaultBufferRoot, runBufferDir } from "./run-buffer.js";
import { RemoteSender } from "./remote-sender.js";
import { RemoteSink } from "./remote-sink.js";

/** Tuning of remote mode (`new Run({ prefix, url, remote: { … } })`). */
export interface RemoteOptions {
  /** Send a batch at least this often; default 1000 ms. */
  readonly batchIntervalMs?: number;
  /** Cut a batch at this many points and log records; default 10,000. */
  readonly batchMaxItems?: number;
  /** Cut a batch at about this many characters of JSON; default 1 MiB. */
  readonly batchMaxBytes?: number;
  /** How long `flush()` waits for the server's acknowledgements; default 5000 ms (0: do not wait). */
  readonly flushTimeoutMs?: number;
  /** How long `complete()` / `fail()` / `cancel()` wait; default 10,000 ms. What is left stays buffered. */
  readonly closeTimeoutMs?: number;
  /** Root of the on-disk buffer; default `$LABRUN_HOME/buffer` (`~/.labrun/buffer`). */
  readonly bufferDir?: string;
  /** First retry delay; doubles up to `maxRetryDelayMs` (default 250 ms and 30 s). */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /**
   * While the buffer cannot be written (a full disk) and the server does not take the batches, keep at most
   * this many characters of them in memory; later ones are dropped and counted in `remoteStatus().lost`, and
   * the run ends FAILED on the server instead of COMPLETED. Default 64 MiB.
   */
  readonly maxMemoryBytes?: number;
  /** Do not report trouble on stderr (it is still counted in `run.remoteStatus()`). */
  readonly quiet?: boolean;
}

export interface RemoteTarget {
  readonly url: string;
  readonly token?: string;
}

/** The server a run goes to: `url` (or `$LABRUN_URL`) with `token` (or `$LABRUN_TOKEN`); none for local mode. */
export function remoteTarget(init: {
  readonly url?: string | false;
  readonly token?: string;
}): RemoteTarget | undefined {
  if (init.url === false) return undefined;
  const url = init.url ?? process.env.LABRUN_URL;
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TrackingValueError(
      `The server URL ${JSON.stringify(url)} is not an http(s) URL. Pass e.g. url: "http://127.0.0.1:4400" (or set LABRUN_URL).`,
      { details: { url } },
    );
  }
  const token = init.token ?? process.env.LABRUN_TOKEN;
  return { url, ...(token ? { token } : {}) };
}

function positive(name: string, value: number | undefined, fallback: number, zero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0 || (zero && value === 0)))
    throw new TrackingValueError(`remote.${name} must be a positive number.`);
  return value;
}

/** One session of a run in remote mode: its sender (queue, buffer, HTTP) and its sink. */
export class RemoteSession {
  readonly sender: RemoteSender;
  readonly sink: RemoteSink;
  readonly flushTimeoutMs: number;
  readonly closeTimeoutMs: number;

  constructor(target: RemoteTarget, upsert: RunUpsert, options: RemoteOptions = {}, attach = false) {
    this.flushTimeoutMs = positive("flushTimeoutMs", options.flushTimeoutMs, 5000, true);
    this.closeTimeoutMs = positive("closeTimeoutMs", options.closeTimeoutMs, 10_000, true);
    const store = new HttpStore(target);
    this.sender = new RemoteSender({
      store,
      prefix: upsert.prefix,
      upsert,
      attach,
      clientId: randomUUID(),
      bufferDir: runBufferDir(options.bufferDir ?? defaultBufferRoot(), upsert.prefix),
      ...(options.retryDelayMs !== undefined
        ? { retryDelayMs: positive("retryDelayMs", options.retryDelayMs, 250) }
        : {}),
      ...(options.maxRetryDelayMs !== undefined
        ? { maxRetryDelayMs: positive("maxRetryDelayMs", options.maxRetryDelayMs, 30_000) }
        : {}),
      ...(options.maxMemoryBytes !== undefined
        ? { maxMemoryBytes: positive("maxMemoryBytes", options.maxMemoryBytes, 64 * 1024 * 1024) }
        : {}),
      ...(options.quiet ? { report: () => undefined } : {}),
    });
    this.sink = new RemoteSink(this.sender, {
      batchIntervalMs: positive("batchIntervalMs", options.batchIntervalMs, 1000),
      batchMaxItems: positive("batchMaxItems", options.batchMaxItems, 10_000),
      batchMaxBytes: positive("batchMaxBytes", options.batchMaxBytes, 1024 * 1024),
    });
  }
}
