import { PointClock, splitPointTime } from "../../format/clock.js";
import type { StatusChange } from "../../store/store.js";
import { TrackingValueError } from "../../errors.js";
import { stringifyWire } from "../../format/wire-json.js";
import { checkFields, type JsonFields, type JsonValue } from "../../format/json-codec.js";
import type { RunLogLevel } from "../../format/log-writer.js";
import { checkStreamName, trackDirName } from "../../format/names.js";
import { BatchBuilder } from "./batch-builder.js";
import type { RemoteSender } from "./remote-sender.js";
import type { TrackingSink } from "./tracking-sink.js";

export interface RemoteSinkOptions {
  /** Send a batch at least this often (ms); default 1000. */
  readonly batchIntervalMs: number;
  /** Cut a batch once it holds this many points and log records; default 10,000. */
  readonly batchMaxItems: number;
  /** Cut a batch once its JSON reaches about this many characters; default 1 MiB. */
  readonly batchMaxBytes: number;
}

/**
 * The sink of a run in remote mode: each call checks its values (the same errors as local mode, at the
 * call) and adds them to the next batch; a batch is cut when it is big enough, every `batchIntervalMs`, on
 * `flush()` and at a status change, and handed to the `RemoteSender` (buffer file, then HTTP, in the
 * background). Nothing here waits for the network.
 */
export class RemoteSink implements TrackingSink {
  readonly #sender: RemoteSender;
  readonly #options: RemoteSinkOptions;
  readonly #builder = new BatchBuilder();
  readonly #paths = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #clock = new PointClock();

  constructor(sender: RemoteSender, options: RemoteSinkOptions) {
    this.#sender = sender;
    this.#options = options;
    this.#timer = setInterval(() => this.#cut(), options.batchIntervalMs);
    this.#timer.unref();
  }

  log(level: RunLogLevel, message: string, metadata: JsonFields | undefined): void {
    if (typeof message !== "string")
      throw new TrackingValueError(`A log message must be a string, not ${typeof message}.`);
    let meta = "";
    if (metadata !== undefined && Object.keys(metadata).length > 0) {
      const text = checkFields(metadata, "log metadata") ? stringifyWire(metadata) : JSON.stringify(metadata);
      if (text !== "{}") meta = `,"metadata":${text}`;
    }
    this.#builder.addLog(
      `{"level":"${level}","message":${JSON.stringify(message)}${meta},"timestamp":"${new Date().toISOString()}"}`,
    );
    this.#maybeCut();
  }

  metric(name: string | null, fields: JsonFields): void {
    const stream = this.#stream(name);
    this.#builder.addPoints(stream, [this.#point(name, fields, Date.now())]);
    this.#maybeCut();
  }

  metricBatch(name: string | null, records: readonly JsonFields[]): void {
    if (!Array.isArray(records)) throw new TrackingValueError("append takes an array of records.");
    const stream = this.#stream(name);
    const now = Date.now();
    const points = records.map((fields) => this.#point(name, fields, now));
    this.#builder.addPoints(stream, points);
    this.#maybeCut();
  }

  /** Track entries go to the metric stream `track.<topic>` (the server has no tracks of its own). */
  track(topic: string, fields: JsonFields): void {
    const stream = `track.${trackDirName(topic)}`;
    this.#builder.addPoints(stream, [this.#point(topic, fields, Date.now(), "track entry")]);
    this.#maybeCut();
  }

  setParams(flat: Readonly<Record<string, JsonValue>>): void {
    this.#builder.setParams(flat);
    this.#maybeCut();
  }

  /** Adds the status change and sends the batch now: everything logged before it goes with it. */
  setStatus(status: StatusChange): void {
    this.#builder.setStatus(status);
    this.#cut(true);
  }

  setDescription(description: string): void {
    this.#builder.setDescription(description);
  }

  setTags(tags: readonly string[]): void {
    this.#builder.setTags(tags);
  }

  flush(): void {
    this.#cut();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#cut();
  }

  #maybeCut(): void {
    if (
      this.#builder.items >= this.#options.batchMaxItems ||
      this.#builder.bytes >= this.#options.batchMaxBytes
    )
      this.#cut();
  }

  #cut(final = false): void {
    if (this.#builder.empty) return;
    this.#sender.enqueueBatch(this.#builder.cut(stringifyWire).body, final);
  }

  #stream(name: string | null): string {
    if (name === null) return "";
    if (!this.#paths.has(name)) {
      checkStreamName("Metric name", name);
      this.#paths.set(name, `metrics("${name}")`);
    }
    return name;
  }

  #point(
    name: string | null,
    fields: JsonFields,
    now: number,
    what: "metric point" | "track entry" = "metric point",
  ): string {
    const { data, given } = splitPointTime(fields, what);
    // The replacer is slow: only points holding NaN or ±Infinity need it.
    const nonFinite = checkFields(data, name === null ? "metrics" : (this.#paths.get(name) ?? name));
    const ts = this.#clock.stamp(given, now);
    return `{"fields":${nonFinite ? stringifyWire(data) : JSON.stringify(data)},"ts":${ts}}`;
  }
}
