import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { JsonValue } from "../../format/json-codec.js";
import { encodeJson } from "../../format/json-codec.js";
import { lastMetricPoint } from "../../format/metric-read.js";
import { MetricWriter } from "../../format/metric-writer.js";
import { unnamedMetricDir } from "../../format/names.js";
import { subdirectories } from "../../util/subdirectories.js";
import { selectRows } from "../../format/downsample.js";
import type {
  MetricAppend,
  MetricPoint,
  MetricRange,
  MetricSeries,
  MetricStreamSummary,
  StreamListOptions,
} from "../store.js";
import { MetricCache, samplePoints, type MetricColumns } from "../../format/metric-columns.js";
import { MetricIndex } from "../../format/metric-index.js";
import { readWithIndex } from "../../format/metric-index-read.js";

// Metric files above this size are first answered with a sample while they are parsed (`approximate`).
const sampleAboveBytes = 32 * 2 ** 20;
// Metric files from this size on are read through a sidecar index (metric-index.ts) rather than parsed whole.
const indexAboveBytes = 16 * 2 ** 20;

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

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
  readonly #indexes = new Map<string, MetricIndex>();
  readonly #building = new Set<string>();
  readonly #indexAbove: number;

  /** @param indexAboveBytes metric files from this size on are read through their sidecar index. */
  constructor(options: { readonly indexAboveBytes?: number } = {}) {
    this.#indexAbove = options.indexAboveBytes ?? indexAboveBytes;
  }

  columns(dir: string, stream: string): MetricColumns {
    return this.#cache.get(metricFile(dir, stream));
  }

  /**
   * Points of a stream (`MetricRange`): x is the index, the time or a field; the rows are picked on the
   * columns and only theirs are read back.
   */
  read(dir: string, stream: string, range: MetricRange = {}): MetricSeries {
    const file = metricFile(dir, stream);
    const by = range.by ?? "index";
    const cached = this.#cache.has(file);
    if (!cached && range.approximate && sizeOf(file) > sampleAboveBytes && !this.#indexReady(file))
      return this.#sampled(dir, stream, file, range);
    if (!cached && range.last === 1 && by === "index" && range.from === undefined && range.to === undefined) {
      // The last point, from the end of the file: a listing's latest values without parsing the stream.
      const last = lastMetricPoint(dir, stream === "" ? null : stream);
      if (!last) return { stream, count: 0, downsampled: false, points: [] };
      const only = range.fields ? new Set(range.fields) : undefined;
      return {
        stream,
        count: last.index + 1,
        downsampled: false,
        inRange: last.index + 1,
        points: [toPoint(last as unknown as Record<string, unknown>, only)],
      };
    }
    if (!cached && by === "index" && range.from === 0 && range.to === 1 && sizeOf(file) > 0) {
      // The first point, from the start of the file: a chart's time origin without parsing the stream.
      const [first] = samplePoints(file, 1);
      const last = lastMetricPoint(dir, stream === "" ? null : stream);
      if (first && last) {
        const only = range.fields ? new Set(range.fields) : undefined;
        const point = toPoint(first as unknown as Record<string, unknown>, only);
        return { stream, count: last.index + 1, downsampled: false, inRange: 1, points: [point] };
      }
    }
    if (!cached && (range.maxPoints !== undefined || range.from !== undefined || range.to !== undefined)) {
      const series = this.#readIndexed(dir, stream, file, range);
      if (series) return series;
    }
    const columns = this.#cache.get(file);
    const count = columns.count;
    const x = by === "index" ? columns.column("index") : columns.column(by === "ts" ? "_ts" : by);
    if (count === 0) return { stream, count, downsampled: false, points: [] };
    if (!x || (by === "index" && !range.edges && range.to !== undefined && range.to <= (range.from ?? 0)))
      return { stream, count, downsampled: false, inRange: 0, points: [] };
    const only = range.fields ? new Set(range.fields) : undefined;
    const numeric = columns.fields.filter((f) => f !== "_ts" && (!only || only.has(f)));
    const returned = only && by !== "index" && by !== "ts" ? new Set([...only, by]) : only;
    const xRange = {
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: by === "index" ? range.to - 1 : range.to } : {}),
    };
    const ys = numeric.map((f) => columns.column(f)!);
    const selection = selectRows(x, ys, xRange, range.maxPoints ?? Number.MAX_SAFE_INTEGER, {
      edges: range.edges === true,
      ...(range.last !== undefined && range.maxPoints === undefined ? { last: range.last } : {}),
    });
    const picked =
      range.last === undefined
        ? selection.rows
        : selection.rows.slice(Math.max(0, selection.rows.length - range.last));
    return {
      stream,
      count,
      downsampled: selection.downsampled,
      inRange: selection.total,
      points: columns.readRecords(picked).map((record) => toPoint(record, returned)),
    };
  }

  /**
   * A big file not parsed yet: evenly spaced points read where they lie (milliseconds, where parsing 100 MB
   * takes a second or more), marked approximate; the full parse starts right after this answer is sent.
   */
  #sampled(dir: string, stream: string, file: string, range: MetricRange): MetricSeries {
    const by = range.by ?? "index";
    const only = range.fields ? new Set(range.fields) : undefined;
    const returned = only && by !== "index" && by !== "ts" ? new Set([...only, by]) : only;
    const points: IndexedPoint[] = [];
    for (const sample of samplePoints(file, Math.min(range.maxPoints ?? 4000, 4000))) {
      const point = toPoint(sample as unknown as Record<string, unknown>, returned);
      const x = by === "index" ? point.index : by === "ts" ? point.ts : sample.data[by];
      if (typeof x !== "number") continue;
      if (range.from !== undefined && x < range.from) continue;
      if (range.to !== undefined && (by === "index" ? x >= range.to : x > range.to)) continue;
      points.push(point);
    }
    const last = lastMetricPoint(dir, stream === "" ? null : stream);
    // After this answer has left: the index is built in slices, so the process keeps answering meanwhile.
    this.#buildInBackground(file);
    return {
      stream,
      count: last ? last.index + 1 : points.length,
      downsampled: true,
      approximate: true,
      points,
    };
  }

  /** The index of a big metric file, or undefined for a small one (its columns are read instead). */
  #index(file: string): MetricIndex | undefined {
    if (sizeOf(file) < this.#indexAbove) return undefined;
    let index = this.#indexes.get(file);
    if (index) this.#indexes.delete(file);
    else index = new MetricIndex(file);
    this.#indexes.set(file, index);
    if (this.#indexes.size > 64) this.#indexes.delete(this.#indexes.keys().next().value!);
    return index;
  }

  /** True when a read through the index needs no long first build (it exists, in memory or on disk). */
  #indexReady(file: string): boolean {
    if (this.#building.has(file)) return false;
    return this.#indexes.has(file) || existsSync(`${file}.index`);
  }

  #buildInBackground(file: string): void {
    const index = this.#index(file);
    if (!index || this.#building.has(file)) return;
    this.#building.add(file);
    const step = () => {
      let done = true;
      try {
        done = index.refresh(64 * 2 ** 20);
      } catch {
        // a read will say what is wrong with the file
      }
      if (done) this.#building.delete(file);
      else setTimeout(step, 0).unref();
    };
    setTimeout(step, 100).unref();
  }

  /** A read through the file's sidecar index (metric-index.ts); undefined when the columns must answer. */
  #readIndexed(dir: string, stream: string, file: string, range: MetricRange): MetricSeries | undefined {
    const index = this.#index(file);
    if (!index) return undefined;
    index.refresh();
    this.#building.delete(file);
    const by = range.by ?? "index";
    const read = readWithIndex(index, {
      by,
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: range.to } : {}),
      ...(range.edges ? { edges: true } : {}),
      ...(range.last !== undefined ? { last: range.last } : {}),
      ...(range.maxPoints !== undefined ? { maxPoints: range.maxPoints } : {}),
      ...(range.fields ? { fields: range.fields } : {}),
    });
    if (!read) return undefined;
    const only = range.fields ? new Set(range.fields) : undefined;
    const returned = only && by !== "index" && by !== "ts" ? new Set([...only, by]) : only;
    return {
      stream,
      count: read.count,
      downsampled: read.downsampled,
      inRange: read.inRange,
      points: read.records.map((record) => toPoint(record, returned)),
    };
  }

  /** Count, fields, first and last time, and min / max / last of each numeric field of every stream. */
  list(dir: string, options: StreamListOptions = {}): MetricStreamSummary[] {
    return subdirectories(join(dir, "metrics"))
      .map((folder) =>
        options.summary === false ? this.#head(dir, streamOf(folder)) : this.summary(dir, streamOf(folder)),
      )
      .filter((summary) => summary.count > 0)
      .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  }

  /** A stream's count and last point, from the end of its file (or the columns, when parsed already). */
  #head(dir: string, stream: string): MetricStreamSummary {
    const file = metricFile(dir, stream);
    const last = lastMetricPoint(dir, stream === "" ? null : stream);
    const count = this.#cache.has(file) ? this.#cache.get(file).count : last ? last.index + 1 : 0;
    const ts = last?.data._ts;
    return {
      stream,
      count,
      fields: Object.keys(last?.data ?? {}).filter((f) => f !== "_ts"),
      ...(typeof ts === "number" ? { lastTs: ts } : {}),
      summary: {},
    };
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
