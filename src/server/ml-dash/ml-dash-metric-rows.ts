import type { JsonValue } from "../../format/json-codec.js";
import type { MetricPoint } from "../../store/store.js";

/** Format name of ML-Dash's raw rows answer (`GET …/metrics/:name/rows`). */
export const metricRowsFormat = "ml-dash.metric-rows.v1";

type ColumnType = "float64" | "int64" | "bool" | "utf8";

interface Block {
  columns: { name: string; type: ColumnType }[];
  rows: unknown[][];
}

function typeOf(value: JsonValue, float: boolean): ColumnType | undefined {
  if (value === null) return undefined;
  if (typeof value === "number") return !float && Number.isSafeInteger(value) ? "int64" : "float64";
  if (typeof value === "boolean") return "bool";
  return "utf8";
}

/** A cell as ML-Dash decodes it: int64 as a decimal string, non-finite floats by name, objects as JSON text. */
function cell(type: ColumnType, value: JsonValue): unknown {
  if (value === null) return null;
  if (type === "int64") return String(value);
  if (type === "float64") {
    const n = value as number;
    if (Number.isNaN(n)) return "NaN";
    if (n === Infinity) return "Infinity";
    if (n === -Infinity) return "-Infinity";
    return Object.is(n, -0) ? "-0" : n;
  }
  if (type === "utf8" && typeof value !== "string") return JSON.stringify(value);
  return value;
}

/**
 * Groups points into blocks of one schema (same field names and types, in order), each point a row whose
 * last column is `_ts` (seconds, float64), as ML-Dash's client wrote it. A number is int64 when integral,
 * unless its field is in `floatFields` (the client wrote it as a float: `1.0`).
 */
export function rowBlocks(
  points: readonly MetricPoint[],
  floatFields: ReadonlySet<string> = new Set(),
): Block[] {
  const blocks: Block[] = [];
  let signature = "";
  for (const point of points) {
    const columns: Block["columns"] = [];
    for (const [name, value] of Object.entries(point.fields)) {
      columns.push({ name, type: typeOf(value, floatFields.has(name)) ?? "float64" });
    }
    columns.push({ name: "_ts", type: "float64" });
    const key = JSON.stringify(columns);
    if (key !== signature || blocks.length === 0) {
      blocks.push({ columns, rows: [] });
      signature = key;
    }
    const row = columns.map((column, i) =>
      i === columns.length - 1 ? cell("float64", point.ts) : cell(column.type, point.fields[column.name]!),
    );
    blocks[blocks.length - 1]!.rows.push(row);
  }
  return blocks;
}
