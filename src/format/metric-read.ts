import { join } from "node:path";
import { TrackingValueError } from "../errors.js";
import type { JsonValue } from "./json-codec.js";
import { parseJson } from "./json-codec.js";
import { lastCompleteLine, scanJsonl } from "./jsonl-file.js";
import { unnamedMetricDir } from "./names.js";

/** One stored point of a metric stream. */
export interface MetricPoint {
  readonly index: number;
  /** The logged fields and `_ts` (epoch seconds). NaN and ±Infinity come back as such. */
  readonly data: Readonly<Record<string, JsonValue>>;
  readonly createdAt: string | null;
}

export interface MetricReadOptions {
  /** Smallest `by` value to include (inclusive). */
  readonly from?: number;
  /** Largest `by` value to include (inclusive). */
  readonly to?: number;
  /** What `from` / `to` compare: "index" (default) or a numeric field such as "step" or "_ts". */
  readonly by?: string;
  /**
   * Return at most about this many points: the range is cut into buckets and each keeps the points holding
   * the minimum and the maximum of every numeric field, plus the first and last point, so spikes survive.
   */
  readonly maxPoints?: number;
  /** The fields whose minima and maxima downsampling keeps; default: every numeric field but `_ts`. */
  readonly fields?: readonly string[];
}

export interface MetricReadResult {
  readonly points: MetricPoint[];
  /** Points in the range, before downsampling. */
  readonly total: number;
  readonly downsampled: boolean;
  /** The file ended with an unterminated line (a write in progress or a killed writer); it was skipped. */
  readonly torn: boolean;
  /** Complete lines that were not valid records, skipped. */
  readonly skipped: number;
}

interface Extreme {
  value: number;
  ordinal: number;
  point: MetricPoint;
}

interface Bucket {
  readonly min: Map<string, Extreme>;
  readonly max: Map<string, Extreme>;
}

function numericFields(point: MetricPoint, only: readonly string[] | undefined): [string, number][] {
  const out: [string, number][] = [];
  const keys = only ?? Object.keys(point.data);
  for (const key of keys) {
    if (only === undefined && key === "_ts") continue;
    const value = point.data[key];
    if (typeof value === "number" && !Number.isNaN(value)) out.push([key, value]);
  }
  return out;
}

/**
 * Streaming min/max downsampling in bounded memory: points fall into buckets of `width` consecutive
 * points; when there are too many buckets, neighbours merge pairwise and the width doubles.
 */
export class MinMaxDownsampler {
  readonly #buckets: Bucket[] = [];
  readonly #maxBuckets: number;
  readonly #fields: readonly string[] | undefined;
  #width = 1;
  #first: { ordinal: number; point: MetricPoint } | undefined;
  #last: { ordinal: number; point: MetricPoint } | undefined;

  constructor(maxPoints: number, fieldCount: number, fields?: readonly string[]) {
    this.#maxBuckets = Math.max(1, Math.floor((maxPoints - 2) / (2 * Math.max(1, fieldCount))));
    this.#fields = fields;
  }

  push(ordinal: number, point: MetricPoint): void {
    this.#first ??= { ordinal, point };
    this.#last = { ordinal, point };
    let at = Math.floor(ordinal / this.#width);
    if (at >= this.#buckets.length) {
      this.#buckets.push({ min: new Map(), max: new Map() });
      if (this.#buckets.length > this.#maxBuckets) {
        this.#compact();
        at = Math.floor(ordinal / this.#width);
      }
    }
    const bucket = this.#buckets[Math.min(at, this.#buckets.length - 1)]!;
    for (const [key, value] of numericFields(point, this.#fields)) {
      const min = bucket.min.get(key);
      if (!min || value < min.value) bucket.min.set(key, { value, ordinal, point });
      const max = bucket.max.get(key);
      if (!max || value > max.value) bucket.max.set(key, { value, ordinal, point });
    }
  }

  result(): MetricPoint[] {
    const chosen = new Map<number, MetricPoint>();
    if (this.#first) chosen.set(this.#first.ordinal, this.#first.point);
    for (const bucket of this.#buckets) {
      for (const extreme of [...bucket.min.values(), ...bucket.max.values()])
        chosen.set(extreme.ordinal, extreme.point);
    }
    if (this.#last) chosen.set(this.#last.ordinal, this.#last.point);
    return [...chosen].sort(([a], [b]) => a - b).map(([, point]) => point);
  }

  #compact(): void {
    const merged: Bucket[] = [];
    for (let i = 0; i < this.#buckets.length; i += 2) {
      const a = this.#buckets[i]!;
      const b = this.#buckets[i + 1];
      if (b) {
        for (const [key, extreme] of b.min)
          if (!a.min.has(key) || extreme.value < a.min.get(key)!.value) a.min.set(key, extreme);
        for (const [key, extreme] of b.max)
          if (!a.max.has(key) || extreme.value > a.max.get(key)!.value) a.max.set(key, extreme);
      }
      merged.push(a);
    }
    this.#buckets.splice(0, this.#buckets.length, ...merged);
    this.#width *= 2;
  }
}

function toPoint(record: Record<string, unknown>): MetricPoint | undefined {
  const { index, data, createdAt } = record;
  if (typeof index !== "number" || typeof data !== "object" || data === null || Array.isArray(data))
    return undefined;
  return {
    index,
    data: data as Record<string, JsonValue>,
    createdAt: typeof createdAt === "string" ? createdAt : null,
  };
}

export function metricDataFile(runDir: string, name: string | null): string {
  return join(runDir, "metrics", name ?? unnamedMetricDir, "data.jsonl");
}

/** Reads a metric stream's points in a range, downsampled to `maxPoints` when asked. */
export async function readMetric(
  runDir: string,
  name: string | null,
  options: MetricReadOptions = {},
): Promise<MetricReadResult> {
  const { from, to, by = "index", maxPoints, fields } = options;
  if (maxPoints !== undefined && !(Number.isInteger(maxPoints) && maxPoints >= 1)) {
    throw new TrackingValueError(`maxPoints must be a positive integer, not ${String(maxPoints)}.`);
  }
  let kept: MetricPoint[] = [];
  let sampler: MinMaxDownsampler | undefined;
  let total = 0;
  const stats = await scanJsonl(metricDataFile(runDir, name), (record) => {
    const point = toPoint(record);
    if (!point) return;
    const key = by === "index" ? point.index : point.data[by];
    if (from !== undefined || to !== undefined) {
      if (typeof key !== "number" || (from !== undefined && key < from) || (to !== undefined && key > to))
        return;
    }
    const ordinal = total++;
    if (sampler) return sampler.push(ordinal, point);
    kept.push(point);
    if (maxPoints !== undefined && kept.length > maxPoints) {
      sampler = new MinMaxDownsampler(
        maxPoints,
        fields?.length ?? numericFields(kept[0]!, undefined).length,
        fields,
      );
      kept.forEach((p, i) => sampler!.push(i, p));
      kept = [];
    }
  });
  const points = sampler ? sampler.result() : kept;
  return { points, total, downsampled: sampler !== undefined, torn: stats.torn, skipped: stats.skipped };
}

/** The last complete point of a stream, without reading the whole file. */
export function lastMetricPoint(runDir: string, name: string | null): MetricPoint | undefined {
  const line = lastCompleteLine(metricDataFile(runDir, name));
  if (line === undefined) return undefined;
  try {
    return toPoint(parseJson(line) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}
