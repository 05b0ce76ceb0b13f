import { join } from "node:path";
import { isoNow } from "./clock.js";
import type { JsonValue } from "./json-codec.js";
import { readJsonObject, writeJsonObject } from "./json-file.js";
import { JsonlAppender, lineIndex } from "./jsonl-file.js";
import { unnamedMetricDir } from "./names.js";

export interface StreamInfo {
  readonly description?: string | null;
  readonly tags?: readonly string[];
  readonly metadata?: Record<string, JsonValue> | null;
}

/**
 * One metric stream on disk: `metrics/<name>/data.jsonl` + `metadata.json`. Points arrive already
 * serialised (`data` with `_ts`); a flush numbers them, appends them as one batch and then updates the
 * counters in metadata.json (docs/tracking-format.md).
 */
export class MetricWriter {
  readonly name: string | null;
  readonly #dir: string;
  readonly #data: JsonlAppender;
  readonly #info: StreamInfo;
  #pending: string[] = [];
  #meta: Record<string, unknown> | undefined;
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

  /** Queues one serialised `data` object; returns its size in characters. */
  add(dataJson: string): number {
    this.#pending.push(dataJson);
    return dataJson.length + 48;
  }

  flush(createdAt: string): void {
    if (this.#pending.length === 0) return;
    const points = this.#pending;
    this.#pending = [];
    if (this.#meta === undefined) this.#openOnDisk();
    let index = this.#nextIndex;
    let text = "";
    const suffix = `,"createdAt":"${createdAt}"}\n`;
    for (const data of points) text += `{"index":${index++},"data":${data}${suffix}`;
    this.#data.append(text);
    this.#nextIndex = index;
    const meta = this.#meta!;
    meta.nextIndex = index;
    meta.totalDataPoints =
      (typeof meta.totalDataPoints === "number" ? meta.totalDataPoints : 0) + points.length;
    meta.updatedAt = isoNow();
    writeJsonObject(join(this.#dir, "metadata.json"), meta);
  }

  close(): void {
    this.#data.close();
  }

  #openOnDisk(): void {
    const last = this.#data.open();
    const existing = readJsonObject(join(this.#dir, "metadata.json"), () => undefined);
    const now = isoNow();
    this.#meta = existing ?? {
      metricId: `local-metric-${this.name ?? unnamedMetricDir}`,
      name: this.name,
      description: this.#info.description ?? null,
      tags: [...(this.#info.tags ?? [])],
      metadata: this.#info.metadata ?? null,
      totalDataPoints: 0,
      nextIndex: 0,
      createdAt: now,
    };
    const recorded = typeof this.#meta.nextIndex === "number" ? this.#meta.nextIndex : 0;
    // metadata.json is written after the data: after a crash it may lag behind the last line.
    this.#nextIndex = Math.max(recorded, lineIndex(last, "index") + 1);
  }
}
