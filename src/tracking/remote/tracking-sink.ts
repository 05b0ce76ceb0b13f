import type { JsonFields } from "../../format/json-codec.js";
import type { RunLogLevel } from "../../format/log-writer.js";
import type { StreamInfo } from "../../format/metric-writer.js";

/**
 * Where a run's logs, metric points and track entries go: the local files (`RunSink`), the server
 * (`RemoteSink`), or both (`TeeSink`). Calls check their values and queue them; they never wait for I/O.
 */
export interface TrackingSink {
  log(level: RunLogLevel, message: string, metadata: JsonFields | undefined): void;
  metric(name: string | null, fields: JsonFields, info?: StreamInfo): void;
  metricBatch(name: string | null, records: readonly JsonFields[], info?: StreamInfo): void;
  track(topic: string, fields: JsonFields): void;
  flush(): void;
  close(): void;
}

/** Local files and the server: every call goes to both (the local sink first: its checks are the reference). */
export class TeeSink implements TrackingSink {
  readonly #sinks: readonly TrackingSink[];
  constructor(...sinks: TrackingSink[]) {
    this.#sinks = sinks;
  }
  log(level: RunLogLevel, message: string, metadata: JsonFields | undefined): void {
    for (const sink of this.#sinks) sink.log(level, message, metadata);
  }
  metric(name: string | null, fields: JsonFields, info?: StreamInfo): void {
    for (const sink of this.#sinks) sink.metric(name, fields, info);
  }
  metricBatch(name: string | null, records: readonly JsonFields[], info?: StreamInfo): void {
    for (const sink of this.#sinks) sink.metricBatch(name, records, info);
  }
  track(topic: string, fields: JsonFields): void {
    for (const sink of this.#sinks) sink.track(topic, fields);
  }
  flush(): void {
    for (const sink of this.#sinks) sink.flush();
  }
  close(): void {
    let failure: unknown;
    for (const sink of this.#sinks) {
      try {
        sink.close();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
