import { TrackingValueError } from "../errors.js";
import type { JsonFields } from "../format/json-codec.js";

/** The statistics `logSummary` computes (ML-Dash's SUPPORTED_AGGS). */
export const summaryAggregations = [
  "mean",
  "std",
  "min",
  "max",
  "count",
  "median",
  "sum",
  "p50",
  "p90",
  "p95",
  "p99",
  "last",
  "first",
] as const;
export type SummaryAggregation = (typeof summaryAggregations)[number];

function percentile(sorted: readonly number[], p: number): number {
  const k = ((sorted.length - 1) * p) / 100;
  const f = Math.floor(k);
  const c = f + 1 < sorted.length ? f + 1 : f;
  return sorted[f]! + (k - f) * (sorted[c]! - sorted[f]!);
}

/** ML-Dash's statistics over the values (NaN left out); {} when no value is left. */
export function summarise(
  values: readonly number[],
  aggregations: readonly SummaryAggregation[],
): Record<string, number> {
  const clean = values.filter((value) => !Number.isNaN(value));
  if (clean.length === 0) return {};
  const sum = clean.reduce((a, b) => a + b, 0);
  const mean = sum / clean.length;
  let sorted: number[] | undefined;
  const ordered = () => (sorted ??= [...clean].sort((a, b) => a - b));
  const stats: Record<string, number> = {};
  for (const aggregation of aggregations) {
    switch (aggregation) {
      case "mean":
        stats.mean = mean;
        break;
      case "std":
        stats.std =
          clean.length < 2
            ? 0
            : Math.sqrt(clean.reduce((a, v) => a + (v - mean) ** 2, 0) / (clean.length - 1));
        break;
      case "min":
        stats.min = Math.min(...clean);
        break;
      case "max":
        stats.max = Math.max(...clean);
        break;
      case "count":
        stats.count = clean.length;
        break;
      case "median":
      case "p50":
        stats[aggregation] = percentile(ordered(), 50);
        break;
      case "sum":
        stats.sum = sum;
        break;
      case "p90":
      case "p95":
      case "p99":
        stats[aggregation] = percentile(ordered(), Number(aggregation.slice(1)));
        break;
      case "last":
        stats.last = clean[clean.length - 1]!;
        break;
      case "first":
        stats.first = clean[0]!;
        break;
    }
  }
  return stats;
}

/**
 * Values collected by `metrics(name).buffer({...})` across streams, summarised and logged by
 * `metrics.buffer.logSummary("mean", "p95", { step })` (ML-Dash's BufferManager).
 */
export class SummaryBuffer {
  readonly #values = new Map<string | null, Map<string, number[]>>();
  readonly #log: (stream: string | null, fields: JsonFields) => void;

  /** @internal */
  constructor(log: (stream: string | null, fields: JsonFields) => void) {
    this.#log = log;
  }

  /** @internal Adds values of one stream; null and undefined count as NaN (left out of the statistics). */
  store(stream: string | null, values: Readonly<Record<string, unknown>>): void {
    const checked: [string, number][] = [];
    for (const [key, value] of Object.entries(values)) {
      const number = value === null || value === undefined ? NaN : value;
      if (typeof number !== "number") {
        throw new TrackingValueError(
          `Cannot buffer ${JSON.stringify(key)} = ${String(value)}: buffer() takes numbers. Use log() for other values.`,
          { details: { key } },
        );
      }
      checked.push([key, number]);
    }
    let fields = this.#values.get(stream);
    if (!fields) this.#values.set(stream, (fields = new Map()));
    for (const [key, number] of checked) {
      const list = fields.get(key);
      if (list) list.push(number);
      else fields.set(key, [number]);
    }
  }

  /**
   * Logs, to each stream with buffered values, `<field>.<aggregation>` for every aggregation (default
   * "mean"), plus the extra fields given as an object, then empties the buffer.
   *
   * @example run.metrics.buffer.logSummary("mean", "p95", { epoch });
   */
  logSummary(...args: (SummaryAggregation | JsonFields)[]): void {
    const aggregations: SummaryAggregation[] = [];
    let extra: JsonFields = {};
    for (const arg of args) {
      if (typeof arg === "string") {
        if (!(summaryAggregations as readonly string[]).includes(arg)) {
          throw new TrackingValueError(
            `Unknown aggregation "${arg}". Use one of: ${summaryAggregations.join(", ")}.`,
          );
        }
        aggregations.push(arg);
      } else extra = { ...extra, ...arg };
    }
    if (aggregations.length === 0) aggregations.push("mean");
    for (const [stream, fields] of this.#values) {
      const output: Record<string, unknown> = { ...extra };
      for (const [key, values] of fields) {
        for (const [stat, value] of Object.entries(summarise(values, aggregations)))
          output[`${key}.${stat}`] = value;
      }
      if (Object.keys(output).length > 0) this.#log(stream, output as JsonFields);
    }
    this.#values.clear();
  }

  /** The last `limit` buffered values of each field, without removing them (`stream/field` keys). */
  peek(limit = 5): Record<string, number[]> {
    const result: Record<string, number[]> = {};
    for (const [stream, fields] of this.#values) {
      for (const [key, values] of fields) result[`${stream ?? "(default)"}/${key}`] = values.slice(-limit);
    }
    return result;
  }
}
