import { join } from "node:path";
import type { JsonValue } from "../../tracking/json-codec.js";
import { encodeJson } from "../../tracking/json-codec.js";
import { lastMetricPoint } from "../../tracking/metric-read.js";
import { MetricWriter } from "../../tracking/metric-writer.js";
import { unnamedMetricDir } from "../../tracking/names.js";
import { subdirectories } from "../../util/subdirectories.js";
import { selectRows } from "../downsample.js";
import type { MetricAppend, MetricPoint, MetricRange, MetricSeries, MetricStreamSummary } from "../store.js";
import { MetricCache, type MetricColumns } from "./metric-columns.js";

/** The folder of a stream: ML-Dash's unnamed stream (`""` in a Store) is `None`. */
export const streamFolder = (stream: string): string => (stream === "" ? unnamedMetricDir : stream);
const streamOf = (folder: string): string => (folder === unnamedMetricDir ? "" : folder);

export function metricFile(dir: string, stream: string): string {
  return join(dir, "metrics", streamFolder(stream), "data.jsonl");
}

type IndexedPoint = MetricPoint & { readonly index: number };

/** A stored record (`{index, data: {…, _ts}, createdAt}`) as a Store point, keeping only `only`'s fields. */
function toPoint(record: Record<string, unknown>, only?: ReadonlySet<string>): IndexedPoint {
  const data = record.data as Record<string, JsonValue>;
  const fields: Record<string, JsonValue> = {};
  for (const key in data) if (key !== "_ts" && (!only || only.has(key))) fields[key] = data[key]!;
  const ts = typeof data._ts === "number" ? data._ts : Date.parse(String(record.createdAt)) / 1000;
  return { index: record.index as number, fields, ts };
}

/**
 * Metric reads and appends over a run folder. Each data.jsonl is parsed once into columns (kept for the 64
 * most recently read streams) and then read only where it grew; a read picks its rows on the columns (range
 * by binary search, buckets by `selectRows`) and reads back only those lines.
 */
export class FilesMetrics {
  readonly #cache = new MetricCache();

  columns(dir: string, stream: string): MetricColumns {
    return this.#cache.get(metricFile(dir, stream));
  }

  /** Points of a stream: `from`/`to` by index (`to` exclusive), as every Store reads them. */
  read(dir: string, stream: string, range: MetricRange = {}): MetricSeries {
    const columns = this.columns(dir, stream);
    const count = columns.count;
    if (count === 0) return { stream, count: 0, downsampled: false, points: [] };
    const index = columns.column("index")!;
    const only = range.fields ? new Set(range.fields) : undefined;
    const numeric = columns.fields.filter((f) => f !== "_ts" && (!only || only.has(f)));
    const xRange = {
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: range.to - 1 } : {}),
    };
    if (range.to !== undefined && range.to <= (range.from ?? 0))
      return { stream, count, downsampled: false, points: [] };
    const ys = numeric.map((f) => columns.column(f)!);
    const selection = selectRows(index, ys, xRange, range.maxPoints ?? Number.MAX_SAFE_INTEGER);
    const records = columns.readRecords(selection.rows);
    return {
      stream,
      count,
      downsampled: selection.downsampled,
      points: records.map((record) => toPoint(record, only)),
    };
  }

  /** Count, fields, first and last time, and min / max / last of each numeric field of every stream. */
  list(dir: string): MetricStreamSummary[] {
    return subdirectories(join(dir, "metrics"))
      .map((folder) => this.summary(dir, streamOf(folder)))
      .filter((summary) => summary.count > 0)
      .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  }

  summary(dir: string, stream: string): MetricStreamSummary {
    const columns = this.columns(dir, stream);
    const count = columns.count;
    const ts = columns.column("_ts");
    const summary: Record<string, { min: number; max: number; last: JsonValue }> = {};
    for (const field of columns.fields) {
      if (field === "_ts") continue;
      const values = columns.column(field)!;
      let min = Infinity;
      let max = -Infinity;
      let last: number | undefined;
      for (let i = 0; i < count; i++) {
        const v = values[i]!;
        if (v !== v) continue;
        if (v < min) min = v;
        if (v > max) max = v;
        last = v;
      }
      if (last !== undefined) summary[field] = { min, max, last };
    }
    return {
      stream,
      count,
      fields: columns.allFields.filter((f) => f !== "_ts"),
      ...(ts && count > 0 ? { firstTs: ts[0]!, lastTs: ts[count - 1]! } : {}),
      summary,
    };
  }

  /**
   * `stream.field` (or `field` for the unnamed stream) → the last value written, from the end of each stream:
   * lines are read backwards until every field of the stream has been seen (at most 1,000 lines).
   */
  latest(dir: string): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const folder of subdirectories(join(dir, "metrics"))) {
      const stream = streamOf(folder);
      const key = (field: string) => (stream === "" ? field : `${stream}.${field}`);
      const last = lastMetricPoint(dir, stream === "" ? null : stream);
      if (!last) continue;
      const columns = this.columns(dir, stream);
      const wanted = new Set(columns.allFields.filter((f) => f !== "_ts"));
      for (let row = columns.count - 1; row >= 0 && row >= columns.count - 1000 && wanted.size > 0; row--) {
        const [record] = columns.readRecords([row]);
        const data = (record?.data ?? {}) as Record<string, JsonValue>;
        for (const field of Object.keys(data)) {
          if (!wanted.has(field)) continue;
          wanted.delete(field);
          out[key(field)] = data[field]!;
        }
      }
    }
    return out;
  }

  /** Appends points in ML-Dash's format (metric-writer.ts), numbered after the stream's last point. */
  append(dir: string, metrics: readonly MetricAppend[], createdAt: string): void {
    for (const { stream, points } of metrics) {
      if (points.length === 0) continue;
      const writer = new MetricWriter(dir, stream === "" ? null : stream);
      try {
        for (const point of points) {
          const json = encodeJson(point.fields);
          writer.add(json.length === 2 ? `{"_ts":${point.ts}}` : `${json.slice(0, -1)},"_ts":${point.ts}}`);
        }
        writer.flush(createdAt);
      } finally {
        writer.close();
      }
    }
  }
}
