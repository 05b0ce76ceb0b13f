import { CorruptRecordError, TrackingValueError } from "../errors.js";
import { isoNow, PointClock, splitPointTime } from "../format/clock.js";
import { checkFields, stringifyChecked, type JsonFields } from "../format/json-codec.js";
import { LogWriter, type RunLogLevel } from "../format/log-writer.js";
import { MetricWriter, type StreamInfo } from "../format/metric-writer.js";
import { checkStreamName } from "../format/names.js";
import type { FlatParams } from "./params.js";
import { FileSaveQueue, ParamsWriter, type FileSave } from "./pending-writes.js";
import { TrackWriter } from "./track-writer.js";

/** Carries an error the caller must see (bad input) through the I/O retry logic, which keeps only I/O failures. */
class RefusedInput extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** What `run.writeStatus()` reports: how the run's data is getting to its local files. */
export interface WriteStatus {
  /** `ok`, or `failing` while writes fail (a full disk): the data waits in memory and is retried. */
  readonly state: "ok" | "failing";
  /**
   * Records (points, log records, track entries, `params.set` calls, stored files) queued in memory, not
   * written yet.
   */
  readonly pending: number;
  /** Failed writes (each retried later; none of them lost data by itself). */
  readonly errors: number;
  /**
   * Records dropped: logged while the queue was over `maxQueuedBytes` with the disk still failing, or still
   * queued when the run ended. A run that lost records does not end COMPLETED (docs/tracking.md).
   */
  readonly lost: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
}

export interface SinkOptions {
  /** Write buffered lines at least this often (ms). */
  readonly flushIntervalMs: number;
  /** Write buffered lines once this many characters are waiting. */
  readonly flushBytes: number;
  /** Called after every flush (the run refreshes its heartbeat there). */
  readonly afterFlush?: (now: number) => void;
  /** While writes fail, keep at most this many characters queued; beyond, new records are lost (counted). */
  readonly maxQueuedBytes?: number;
  /** Where trouble is reported (once per kind) and recovery; default stderr. */
  readonly report?: (message: string) => void;
  /** The run's prefix, for the reports. */
  readonly label?: string;
}

/**
 * The buffered writer of one run's streams (logs, metrics, tracks). Calls only queue lines in memory; they
 * reach the files in batches when enough is waiting, when the interval has passed (checked on each call and
 * by a timer that does not keep the process alive), and on `flush()`. Writes go to the page cache and never
 * wait for the disk (no fsync).
 *
 * An I/O error (a full disk) never reaches the caller: the failed batch is cut back from the file and stays
 * queued, in order, and is retried by the timer until the disk takes it; errors are counted in
 * `writeStatus()` and reported once on stderr. Memory stays bounded: past `maxQueuedBytes` of queued data
 * while writes still fail, new records are dropped and counted as lost.
 */
export class RunSink {
  readonly #dir: string;
  readonly #options: SinkOptions;
  readonly #logs: LogWriter;
  readonly #metrics = new Map<string | null, MetricWriter>();
  readonly #tracks = new Map<string, TrackWriter>();
  readonly #params: ParamsWriter;
  readonly #files = new FileSaveQueue();
  #pendingBytes = 0;
  #lastFlush = Date.now();
  readonly #clock = new PointClock();
  #timer: NodeJS.Timeout | undefined;
  readonly #maxQueued: number;
  readonly #report: (message: string) => void;
  #failing = false;
  #retryAt = 0;
  #errors = 0;
  #lost = 0;
  #lastError: WriteStatus["lastError"];
  readonly #reported = new Set<string>();

  constructor(dir: string, options: SinkOptions) {
    this.#dir = dir;
    this.#options = options;
    this.#logs = new LogWriter(dir);
    this.#params = new ParamsWriter(dir);
    this.#maxQueued = options.maxQueuedBytes ?? 256 * 1024 * 1024;
    this.#report =
      options.report ??
      ((message) => {
        try {
          process.stderr.write(`[labrun] ${message}\n`);
        } catch {
          // stderr closed
        }
      });
    this.#timer = setInterval(() => this.#flushAll(), options.flushIntervalMs);
    this.#timer.unref();
  }

  log(level: RunLogLevel, message: string, metadata: JsonFields | undefined): void {
    if (typeof message !== "string") {
      throw new TrackingValueError(`A log message must be a string, not ${typeof message}.`);
    }
    let metadataJson: string | undefined;
    if (metadata !== undefined && Object.keys(metadata).length > 0) {
      metadataJson = stringifyChecked(metadata, checkFields(metadata, "log metadata"));
      if (metadataJson === "{}") metadataJson = undefined;
    }
    if (this.#full(1)) return;
    this.#queued(this.#logs.add(level, message, metadataJson, isoNow()), Date.now());
  }

  metric(name: string | null, fields: JsonFields, info?: StreamInfo): void {
    const now = Date.now();
    const writer = this.#metricWriter(name, info);
    const json = this.#pointJson(name, fields, now);
    if (this.#full(1)) return;
    this.#queued(writer.add(json), now);
  }

  /** Several points of one stream; all are checked before any is queued. */
  metricBatch(name: string | null, records: readonly JsonFields[], info?: StreamInfo): void {
    if (!Array.isArray(records)) throw new TrackingValueError("append takes an array of records.");
    const now = Date.now();
    const writer = this.#metricWriter(name, info);
    const lines = records.map((fields) => this.#pointJson(name, fields, now));
    if (this.#full(lines.length)) return;
    let size = 0;
    for (const line of lines) size += writer.add(line);
    this.#queued(size, now);
  }

  track(topic: string, fields: JsonFields): void {
    const now = Date.now();
    let writer = this.#tracks.get(topic);
    if (!writer) {
      writer = new TrackWriter(this.#dir, topic);
      this.#tracks.set(topic, writer);
    }
    const { data, given } = splitPointTime(fields, "track entry");
    checkFields(data, `tracks("${topic}")`);
    const timestamp = this.#clock.stamp(given, now);
    if (this.#full(1)) return;
    this.#queued(writer.add(timestamp, data), now);
  }

  /**
   * Merges parameters into parameters.json at once (one atomic replace). A write the disk refuses stays
   * queued, merged with later calls in their order, and is written by the next flush that the disk takes.
   */
  params(flat: Readonly<FlatParams>): void {
    this.#params.add(flat);
    this.#writeNow("parameters.json", () => {
      try {
        this.#params.flush();
      } catch (error) {
        // A damaged parameters.json is bad input, not a full disk: refuse now rather than retry forever.
        if (!(error instanceof CorruptRecordError)) throw error;
        this.#params.discard();
        throw new RefusedInput(error);
      }
    });
  }

  /** Parameters set but not written yet (the disk refused them), for reading them back. */
  pendingParams(): Readonly<FlatParams> | undefined {
    return this.#params.pending;
  }

  /** True while stored files wait for the disk: a new save goes behind them (`saveFile`), keeping the order. */
  get filesWaiting(): boolean {
    return this.#files.pendingCount > 0;
  }

  /**
   * Queues a stored file's write behind those waiting and writes what it can now. While the disk refuses
   * writes and the queue is over `maxQueuedBytes`, a save holding bytes is dropped (counted as lost).
   */
  saveFile(save: FileSave): void {
    if (save.size > 0 && this.#full(1)) return;
    this.#files.add(save);
    this.#pendingBytes += save.size;
    this.#writeNow("files", () => this.#files.flush());
  }

  /** Writes everything buffered now; true when nothing is left queued. Never throws an I/O error. */
  flush(): boolean {
    return this.#flushAll();
  }

  /**
   * Flushes and releases the files; the sink takes no more lines. What the disk still refuses is dropped
   * and counted in `writeStatus().lost`.
   */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      if (!this.#flushAll()) {
        let dropped = this.#logs.discard() + this.#params.discard() + this.#files.discard();
        for (const writer of this.#metrics.values()) dropped += writer.discard();
        for (const writer of this.#tracks.values()) dropped += writer.discard();
        this.#lost += dropped;
        if (dropped > 0)
          this.#report(
            `${dropped} record(s) of run ${this.#options.label ?? ""} could not be written before it ended ` +
              `(${this.#lastError?.code ?? "error"}) and are lost.`,
          );
      }
    } finally {
      this.#logs.close();
      for (const writer of this.#metrics.values()) writer.close();
      for (const writer of this.#tracks.values()) writer.close();
    }
  }

  writeStatus(): WriteStatus {
    let pending = this.#logs.pendingCount + this.#params.pendingCount + this.#files.pendingCount;
    for (const writer of this.#metrics.values()) pending += writer.pendingCount;
    for (const writer of this.#tracks.values()) pending += writer.pendingCount;
    return {
      state: this.#failing ? "failing" : "ok",
      pending,
      errors: this.#errors,
      lost: this.#lost,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  // Each stream is written on its own: one that fails keeps its batch queued and does not hold back the
  // others. True when every batch was written.
  #flushAll(): boolean {
    const now = Date.now();
    this.#lastFlush = now;
    const createdAt = isoNow();
    let ok = this.#attempt("logs", () => this.#logs.flush());
    for (const writer of this.#metrics.values())
      ok = this.#attempt(`metric ${writer.name ?? "(unnamed)"}`, () => writer.flush(createdAt)) && ok;
    for (const writer of this.#tracks.values())
      ok = this.#attempt(`track ${writer.topic}`, () => writer.flush()) && ok;
    ok = this.#attempt("parameters.json", () => this.#params.flush()) && ok;
    ok = this.#attempt("files", () => this.#files.flush()) && ok;
    this.#pendingBytes = this.#queuedSize();
    if (ok && this.#failing) {
      this.#failing = false;
      this.#report(`the files of run ${this.#options.label ?? ""} are being written again.`);
      for (const kind of [...this.#reported]) if (kind !== "heartbeat") this.#reported.delete(kind);
    } else if (!ok) {
      this.#failing = true;
      this.#retryAt = now + Math.max(this.#options.flushIntervalMs, 100);
    }
    this.#attempt("heartbeat", () => this.#options.afterFlush?.(now));
    return ok;
  }

  #attempt(kind: string, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (error) {
      if (error instanceof RefusedInput) throw error.cause;
      this.#errors++;
      const code = (error as { code?: unknown }).code;
      this.#lastError = {
        code: typeof code === "string" ? code : "ERROR",
        message: error instanceof Error ? error.message : String(error),
        at: new Date().toISOString(),
      };
      if (!this.#reported.has(kind)) {
        this.#reported.add(kind);
        this.#report(
          `could not write ${kind} of run ${this.#options.label ?? ""}: ${this.#lastError.message}. ` +
            `Keeping the data in memory and retrying.`,
        );
      }
      return false;
    }
  }

  #queuedSize(): number {
    let size = this.#logs.pendingSize + this.#params.pendingSize + this.#files.pendingSize;
    for (const writer of this.#metrics.values()) size += writer.pendingSize;
    for (const writer of this.#tracks.values()) size += writer.pendingSize;
    return size;
  }

  /** While writes fail and the queue is over its cap, a new record is dropped (counted as lost). */
  #full(count: number): boolean {
    if (!this.#failing || this.#pendingBytes < this.#maxQueued) return false;
    if (this.#lost === 0)
      this.#report(
        `run ${this.#options.label ?? ""}: over ${this.#maxQueued} characters wait for a disk that still ` +
          `fails; new records are dropped (counted in writeStatus().lost) until it takes them.`,
      );
    this.#lost += count;
    return true;
  }

  // A whole-file write (parameters, a stored file) is tried at once; refused, it waits for the next flush.
  #writeNow(kind: string, write: () => void): void {
    if (this.#attempt(kind, write)) return;
    this.#pendingBytes = this.#queuedSize();
    this.#failing = true;
    this.#retryAt = Date.now() + Math.max(this.#options.flushIntervalMs, 100);
  }

  #queued(size: number, now: number): void {
    this.#pendingBytes += size;
    if (this.#failing) {
      // A failing disk is retried by the timer (and here when due), not on every call.
      if (now >= this.#retryAt) this.#flushAll();
    } else if (
      this.#pendingBytes >= this.#options.flushBytes ||
      now - this.#lastFlush >= this.#options.flushIntervalMs
    ) {
      this.#flushAll();
    }
  }

  #metricWriter(name: string | null, info: StreamInfo | undefined): MetricWriter {
    let writer = this.#metrics.get(name);
    if (!writer) {
      if (name !== null) checkStreamName("Metric name", name);
      writer = new MetricWriter(this.#dir, name, info);
      this.#metrics.set(name, writer);
    }
    return writer;
  }

  /** The `data` object of a metric point: the fields, then `_ts`. */
  // The path named in errors, made once per stream: this runs for every logged point.
  readonly #metricPaths = new Map<string | null, string>();
  #metricPath(name: string | null): string {
    let path = this.#metricPaths.get(name);
    if (path === undefined)
      this.#metricPaths.set(name, (path = name === null ? "metrics" : `metrics("${name}")`));
    return path;
  }

  #pointJson(name: string | null, fields: JsonFields, now: number): string {
    const { data, given } = splitPointTime(fields);
    const json = stringifyChecked(data, checkFields(data, this.#metricPath(name)));
    const ts = this.#clock.stamp(given, now);
    return json.length === 2 ? `{"_ts":${ts}}` : `${json.slice(0, -1)},"_ts":${ts}}`;
  }
}
