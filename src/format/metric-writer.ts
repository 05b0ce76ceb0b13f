import { join } from "node:path";
import { isoNow } from "./clock.js";
import type { JsonValue } from "./json-codec.js";
import { readJsonObject, writeJsonObject } from "./json-file.js";
import { JsonlAppender, lineIndex } from "./jsonl-file.js";
import { unnamedMetricDir } from "./names.js";

/** Points appended by one write at most. */
const sliceSize = 10_000;

export interface StreamInfo {
  readonly description?: string | null;
  readonly tags?: readonly string[];
  readonly metadata?: Record<string, JsonValue> | null;
}

/**
 * One metric stream on disk: `metrics/<name>/data.jsonl` + `metadata.json`. Points arrive already
 * serialised (`data` with `_ts`); a flush numbers them, appends them as one batch and then updates the
 * counters in metadata.json (docs/tracking-format.md). A batch whose append fails stays queued, in order, for
 * the next flush; a metadata.json that could not be rewritten is rewritten at the next flush (readers take
 * the index from the data when it lags).
 */
export class MetricWriter {
  readonly name: string | null;
  readonly #dir: string;
  readonly #data: JsonlAppender;
  readonly #info: StreamInfo;
  #pending: string[] = [];
  #pendingSize = 0;
  #meta: Record<string, unknown> | undefined;
  #metaDirty = false;
  #nextIndex = 0;

  constructor(runDir: string, name: string | null, info: StreamInfo = {}) {
    this.name = name;
    this.#dir = join(runDir, "metrics", name ?? unnamedMetricDir);
    this.#data = new JsonlAppender(join(this.#dir, "data.jsonl"));
    this.#info = info;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Characters queued and not written yet. */
  get pendingSize(): number {
    return this.#pendingSize;
  }

  /** Queues one serialised `data` object; returns its size in characters. */
  add(dataJson: string): number {
    this.#pending.push(dataJson);
    const size = dataJson.length + 48;
    this.#pendingSize += size;
    return size;
  }

  /** Writes the queued points; throws the I/O error of a failed write, keeping the points queued. */
  flush(createdAt: string): void {
    if (this.#pending.length > 0 && this.#meta === undefined) this.#openOnDisk();
    // In slices: after a long outage, a backlog larger than the free space still goes in as far as it fits.
    while (this.#pending.length > 0) {
      const points = this.#pending.length <= sliceSize ? this.#pending : this.#pending.slice(0, sliceSize);
      let index = this.#nextIndex;
      let text = "";
      const suffix = `,"createdAt":"${createdAt}"}\n`;
      for (const data of points) text += `{"index":${index++},"data":${data}${suffix}`;
      this.#data.append(text);
      this.#pending = points === this.#pending ? [] : this.#pending.slice(points.length);
      this.#pendingSize = Math.max(0, this.#pendingSize - text.length);
      if (this.#pending.length === 0) this.#pendingSize = 0;
      this.#nextIndex = index;
      const meta = this.#meta!;
      meta.nextIndex = index;
      meta.totalDataPoints =
        (typeof meta.totalDataPoints === "number" ? meta.totalDataPoints : 0) + points.length;
      meta.updatedAt = isoNow();
      this.#metaDirty = true;
    }
    if (this.#metaDirty) {
      writeJsonObject(join(this.#dir, "metadata.json"), this.#meta!);
      this.#metaDirty = false;
    }
  }

  /** Drops what is queued (a run that ends while its disk stays full); returns how many points. */
  discard(): number {
    const count = this.#pending.length;
    this.#pending = [];
    this.#pendingSize = 0;
    return count;
  }

  close(): void {
    this.#data.close();
  }

  #openOnDisk(): void {
    const last = this.#data.open();
    // metadata.json only sums up data.jsonl: a missing or damaged one is rebuilt from the data (as ML-Dash
    // does), the one JSON file a writer replaces without reading it whole; the points are never touched.
    const existing = readJsonObject(join(this.#dir, "metadata.json"), () => undefined);
    const now = isoNow();
    this.#meta = existing ?? {
      metricId: `local-metric-${this.name ?? unnamedMetricDir}`,
      name: this.name,
      description: this.#info.description ?? null,
      tags: [...(this.#info.tags ?? [])],
      metadata: this.#info.metadata ?? null,
      totalDataPoints: lineIndex(last, "index") + 1,
      nextIndex: 0,
      createdAt: now,
    };
    const recorded = typeof this.#meta.nextIndex === "number" ? this.#meta.nextIndex : 0;
    // metadata.json is written after the data: after a crash it may lag behind the last line.
    this.#nextIndex = Math.max(recorded, lineIndex(last, "index") + 1);
  }
}
