import type { JsonFields, JsonValue } from "../format/json-codec.js";
import { checkLogLevel, type RunLogLevel } from "../format/log-writer.js";
import type { StreamInfo } from "../format/metric-writer.js";
import { SummaryBuffer } from "./metric-summary.js";
import { checkStreamName, trackDirName } from "../format/names.js";
import type { TrackingSink as RunSink } from "./remote/tracking-sink.js";

/** Fields of a metric point. `_ts` (epoch seconds, or -1 for the previous point's) sets its time. */
export type MetricFields = JsonFields;

/** One named metric stream of a run (`run.metrics("train")`). */
export class MetricStream {
  readonly name: string | null;
  readonly #sink: () => RunSink;
  readonly #summary: SummaryBuffer;
  readonly #info: StreamInfo | undefined;

  /** @internal */
  constructor(name: string | null, sink: () => RunSink, summary: SummaryBuffer, info?: StreamInfo) {
    this.name = name;
    this.#sink = sink;
    this.#summary = summary;
    this.#info = info;
  }

  /**
   * Logs one point: any fields, stored with the time as `_ts`.
   *
   * @example run.metrics("train").log({ loss: 0.42, step: 100 });
   */
  log(fields: MetricFields): this {
    this.#sink().metric(this.name, fields, this.#info);
    return this;
  }

  /** Logs several points at once (all are checked before any is kept). */
  append(records: readonly MetricFields[]): this {
    this.#sink().metricBatch(this.name, records, this.#info);
    return this;
  }

  /** Alias of `append` (ML-Dash's batch name). */
  appendBatch(records: readonly MetricFields[]): this {
    return this.append(records);
  }

  /** Collects numbers for `run.metrics.buffer.logSummary(...)` instead of logging them now. */
  buffer(values: Readonly<Record<string, number | null | undefined>>): this {
    this.#summary.store(this.name, values);
    return this;
  }

  /** Writes everything buffered in the run now. */
  flush(): this {
    this.#sink().flush();
    return this;
  }
}

/** `run.metrics`: call it with a name for a stream; `log` fans nested objects out to streams. */
export interface Metrics {
  (name: string, info?: StreamInfo): MetricStream;
  /**
   * Logs to the unnamed stream; each nested object goes to the stream of its key, with the other fields:
   * `metrics.log({ epoch: 1, train: { loss }, eval: { loss } })` logs `{ epoch, loss }` to "train" and "eval"
   * and `{ epoch }` to the unnamed stream.
   */
  log(fields: Readonly<Record<string, JsonValue | JsonFields | undefined>>): Metrics;
  /** The values collected by `metrics(name).buffer(...)`; `logSummary(...)` logs their statistics. */
  readonly buffer: SummaryBuffer;
  flush(): Metrics;
}

function isNested(value: unknown): value is JsonFields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function createMetrics(sink: () => RunSink): Metrics {
  const streams = new Map<string, MetricStream>();
  const summary = new SummaryBuffer((stream, fields) => sink().metric(stream, fields));
  const metrics = ((name: string, info?: StreamInfo) => {
    sink(); // throws on a closed run
    let stream = streams.get(name);
    if (!stream) {
      checkStreamName("Metric name", name);
      stream = new MetricStream(name, sink, summary, info);
      streams.set(name, stream);
    }
    return stream;
  }) as Metrics;
  Object.defineProperty(metrics, "buffer", { value: summary, enumerable: true });
  metrics.log = (fields) => {
    const { _ts, ...rest } = fields;
    const scalars: Record<string, unknown> = {};
    const nested: [string, JsonFields][] = [];
    for (const [key, value] of Object.entries(rest)) {
      if (isNested(value)) nested.push([key, value]);
      else scalars[key] = value;
    }
    const stamp = _ts === undefined ? {} : { _ts };
    if (Object.keys(scalars).length > 0) sink().metric(null, { ...scalars, ...stamp } as JsonFields);
    for (const [name, values] of nested) metrics(name).log({ ...scalars, ...values, ...stamp } as JsonFields);
    return metrics;
  };
  metrics.flush = () => {
    sink().flush();
    return metrics;
  };
  return metrics;
}

/** `run.logs`: ML-Dash's fluent logging, `run.logs.warn("GPU memory low", { freeGb: 1.5 })`. */
export class Logs {
  readonly #sink: () => RunSink;

  /** @internal */
  constructor(sink: () => RunSink) {
    this.#sink = sink;
  }

  /** Logs at a level given by name (`"info"`, `"WARN"`, …). */
  write(level: RunLogLevel | string, message: string, metadata?: JsonFields): void {
    this.#sink().log(checkLogLevel(level), message, metadata);
  }

  debug(message: string, metadata?: JsonFields): void {
    this.#sink().log("debug", message, metadata);
  }
  info(message: string, metadata?: JsonFields): void {
    this.#sink().log("info", message, metadata);
  }
  warn(message: string, metadata?: JsonFields): void {
    this.#sink().log("warn", message, metadata);
  }
  error(message: string, metadata?: JsonFields): void {
    this.#sink().log("error", message, metadata);
  }
  fatal(message: string, metadata?: JsonFields): void {
    this.#sink().log("fatal", message, metadata);
  }
}

/** One track topic (`run.tracks("robot/pos")`): time-stamped entries. */
export class Track {
  readonly topic: string;
  readonly #sink: () => RunSink;

  /** @internal */
  constructor(topic: string, sink: () => RunSink) {
    this.topic = topic;
    this.#sink = sink;
  }

  /**
   * Appends an entry at `_ts` (epoch seconds; now when left out; -1 for the previous entry's time).
   * Entries with the same `_ts` are merged.
   *
   * @example run.tracks("robot/pos").append({ _ts: 1.5, x: 0.1, q: [1, 0, 0, 0] });
   */
  append(entry: JsonFields): this {
    this.#sink().track(this.topic, entry);
    return this;
  }

  flush(): this {
    this.#sink().flush();
    return this;
  }
}

export interface Tracks {
  (topic: string): Track;
  flush(): Tracks;
}

export function createTracks(sink: () => RunSink): Tracks {
  const tracks = ((topic: string) => {
    trackDirName(topic);
    return new Track(topic, sink);
  }) as Tracks;
  tracks.flush = () => {
    sink().flush();
    return tracks;
  };
  return tracks;
}
