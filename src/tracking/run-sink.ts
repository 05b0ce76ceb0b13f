import { TrackingValueError } from "../errors.js";
import { isoNow, PointClock, splitPointTime } from "./clock.js";
import { checkFields, stringifyChecked, type JsonFields } from "./json-codec.js";
import { LogWriter, type RunLogLevel } from "./log-writer.js";
import { MetricWriter, type StreamInfo } from "./metric-writer.js";
import { checkStreamName } from "./names.js";
import { TrackWriter } from "./track-writer.js";

export interface SinkOptions {
  /** Write buffered lines at least this often (ms). */
  readonly flushIntervalMs: number;
  /** Write buffered lines once this many characters are waiting. */
  readonly flushBytes: number;
  /** Called after every flush (the run refreshes its heartbeat there). */
  readonly afterFlush?: (now: number) => void;
}

/**
 * The buffered writer of one run's streams (logs, metrics, tracks). Calls only queue lines in memory; they
 * reach the files in batches when enough is waiting, when the interval has passed (checked on each call and
 * by a timer that does not keep the process alive), and on `flush()`. Writes go to the page cache and never
 * wait for the disk (no fsync).
 */
export class RunSink {
  readonly #dir: string;
  readonly #options: SinkOptions;
  readonly #logs: LogWriter;
  readonly #metrics = new Map<string | null, MetricWriter>();
  readonly #tracks = new Map<string, TrackWriter>();
  #pendingBytes = 0;
  #lastFlush = Date.now();
  readonly #clock = new PointClock();
  #timer: NodeJS.Timeout | undefined;
  #failure: unknown;

  constructor(dir: string, options: SinkOptions) {
    this.#dir = dir;
    this.#options = options;
    this.#logs = new LogWriter(dir);
    this.#timer = setInterval(() => this.#flushInBackground(), options.flushIntervalMs);
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
    this.#queued(this.#logs.add(level, message, metadataJson, isoNow()), Date.now());
  }

  metric(name: string | null, fields: JsonFields, info?: StreamInfo): void {
    const now = Date.now();
    const writer = this.#metricWriter(name, info);
    this.#queued(writer.add(this.#pointJson(name, fields, now)), now);
  }

  /** Several points of one stream; all are checked before any is queued. */
  metricBatch(name: string | null, records: readonly JsonFields[], info?: StreamInfo): void {
    if (!Array.isArray(records)) throw new TrackingValueError("append takes an array of records.");
    const now = Date.now();
    const writer = this.#metricWriter(name, info);
    const lines = records.map((fields) => this.#pointJson(name, fields, now));
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
    this.#queued(writer.add(this.#clock.stamp(given, now), data), now);
  }

  /** Writes everything buffered now. Throws the error of a failed background write, if there was one. */
  flush(): void {
    this.#rethrowFailure();
    this.#flushAll();
  }

  /** Flushes and releases the files; the sink takes no more lines. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      this.#flushAll();
    } finally {
      this.#logs.close();
      for (const writer of this.#metrics.values()) writer.close();
      for (const writer of this.#tracks.values()) writer.close();
    }
  }

  #flushAll(): void {
    const createdAt = isoNow();
    this.#pendingBytes = 0;
    this.#lastFlush = Date.now();
    this.#logs.flush();
    for (const writer of this.#metrics.values()) writer.flush(createdAt);
    for (const writer of this.#tracks.values()) writer.flush();
    this.#options.afterFlush?.(this.#lastFlush);
  }

  #flushInBackground(): void {
    if (this.#failure !== undefined) return;
    try {
      this.#flushAll();
    } catch (error) {
      // Nobody awaits a timer: keep the error for the next call, which throws it.
      this.#failure = error;
    }
  }

  #rethrowFailure(): void {
    if (this.#failure === undefined) return;
    const failure = this.#failure;
    this.#failure = undefined;
    throw failure;
  }

  #queued(size: number, now: number): void {
    this.#pendingBytes += size;
    if (
      this.#pendingBytes >= this.#options.flushBytes ||
      now - this.#lastFlush >= this.#options.flushIntervalMs
    ) {
      this.flush();
    } else if (this.#failure !== undefined) {
      this.#rethrowFailure();
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
