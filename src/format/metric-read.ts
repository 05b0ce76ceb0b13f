import { join } from "node:path";
import { TrackingValueError } from "../errors.js";
import type { JsonValue } from "./json-codec.js";
import { parseJson } from "./json-codec.js";
import { lastCompleteLine, scanJsonl } from "./jsonl-file.js";
import { unnamedMetricDir } from "./names.js";
import { selectRows } from "./downsample.js";
import { MetricColumns } from "./metric-columns.js";

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
  const file = metricDataFile(runDir, name);
  if (maxPoints !== undefined) {
    // Downsampled by the stores' one rule (downsample.ts) on the stream's columns; only the chosen lines are
    // read back whole.
    const columns = new MetricColumns(file);
    columns.refresh();
    const ranged = from !== undefined || to !== undefined;
    const x = columns.column(by) ?? (ranged ? undefined : columns.column("index"));
    if (!x) return { points: [], total: 0, downsampled: false, torn: columns.torn, skipped: columns.skipped };
    const ys = (fields ?? columns.fields.filter((f) => f !== "_ts")).flatMap((f) => {
      const column = columns.column(f);
      return column ? [column] : [];
    });
    const selection = selectRows(
      x,
      ys,
      { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) },
      maxPoints,
    );
    const points = columns.readRecords(selection.rows).flatMap((record) => {
      const point = toPoint(record);
      return point ? [point] : [];
    });
    return {
      points,
      total: selection.total,
      downsampled: selection.downsampled,
      torn: columns.torn,
      skipped: columns.skipped,
    };
  }
  const kept: MetricPoint[] = [];
  const stats = await scanJsonl(file, (record) => {
    const point = toPoint(record);
    if (!point) return;
    const key = by === "index" ? point.index : point.data[by];
    if (from !== undefined || to !== undefined) {
      if (typeof key !== "number" || (from !== undefined && key < from) || (to !== undefined && key > to))
        return;
    }
    kept.push(point);
  });
  return { points: kept, total: kept.length, downsampled: false, torn: stats.torn, skipped: stats.skipped };
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
