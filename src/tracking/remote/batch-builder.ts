import type { StatusChange } from "../../store/store.js";
import type { JsonValue } from "../../format/json-codec.js";

/** A batch cut from the builder: its JSON text without `clientId`/`seq`, and what it holds. */
export interface CutBatch {
  /** `"params":…,"metrics":[…],…` (the inside of the object, without braces), or "" for nothing. */
  readonly body: string;
  readonly items: number;
  readonly hasStatus: boolean;
}

/**
 * Collects what a run logs into the next batch of the HTTP API (`RunBatch`), as JSON text built once per
 * item: a point is serialised when it is logged, a batch is the concatenation. Knows its size so the sink
 * can cut it by count and by bytes.
 */
export class BatchBuilder {
  #params: Record<string, JsonValue> | undefined;
  #metrics = new Map<string, string[]>();
  #logs: string[] = [];
  #status: StatusChange | undefined;
  #description: string | undefined;
  #tags: readonly string[] | undefined;
  #items = 0;
  #bytes = 0;

  get items(): number {
    return this.#items;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get empty(): boolean {
    return (
      this.#items === 0 &&
      this.#params === undefined &&
      this.#status === undefined &&
      this.#description === undefined &&
      this.#tags === undefined
    );
  }

  /** Adds already-serialised points (`{"fields":{…},"ts":…}`) to a stream. */
  addPoints(stream: string, points: readonly string[]): void {
    let list = this.#metrics.get(stream);
    if (!list) this.#metrics.set(stream, (list = []));
    for (const point of points) {
      list.push(point);
      this.#bytes += point.length + 1;
    }
    this.#items += points.length;
  }

  /** Adds an already-serialised log record (`{"level":…,"message":…,"timestamp":…}`). */
  addLog(record: string): void {
    this.#logs.push(record);
    this.#bytes += record.length + 1;
    this.#items++;
  }

  setParams(flat: Readonly<Record<string, JsonValue>>): void {
    this.#params = { ...this.#params, ...flat };
    this.#bytes += JSON.stringify(flat)?.length ?? 0;
  }

  setStatus(status: StatusChange): void {
    this.#status = status;
  }

  setDescription(description: string): void {
    this.#description = description;
  }

  setTags(tags: readonly string[]): void {
    this.#tags = [...tags];
  }

  /** Takes everything collected so far as one batch body and starts a new one. */
  cut(stringify: (value: unknown) => string): CutBatch {
    const parts: string[] = [];
    if (this.#params !== undefined) parts.push(`"params":${stringify(this.#params)}`);
    if (this.#metrics.size > 0) {
      const streams: string[] = [];
      for (const [stream, points] of this.#metrics)
        streams.push(`{"stream":${JSON.stringify(stream)},"points":[${points.join(",")}]}`);
      parts.push(`"metrics":[${streams.join(",")}]`);
    }
    if (this.#logs.length > 0) parts.push(`"logs":[${this.#logs.join(",")}]`);
    if (this.#description !== undefined) parts.push(`"description":${JSON.stringify(this.#description)}`);
    if (this.#tags !== undefined) parts.push(`"tags":${JSON.stringify(this.#tags)}`);
    if (this.#status !== undefined) parts.push(`"status":${JSON.stringify(this.#status)}`);
    const cut: CutBatch = {
      body: parts.join(","),
      items: this.#items,
      hasStatus: this.#status !== undefined,
    };
    this.#params = undefined;
    this.#metrics = new Map();
    this.#logs = [];
    this.#status = undefined;
    this.#description = undefined;
    this.#tags = undefined;
    this.#items = 0;
    this.#bytes = 0;
    return cut;
  }
}
