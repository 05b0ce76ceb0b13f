import type { JsonValue } from "../../format/json-codec.js";
import type { MetricPoint, MetricSeries } from "../store.js";
import { decodeWireDeep, decodeWireValue, encodeWireValue } from "../../format/wire-json.js";

// Non-finite numbers travel as their names (format/wire-json.ts); these apply it to the store's shapes.

export function encodeFields(fields: Readonly<Record<string, JsonValue>>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key in fields) out[key] = encodeWireValue(fields[key]!);
  return out;
}

export function decodeFields(fields: Readonly<Record<string, JsonValue>>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key in fields) out[key] = decodeWireValue(fields[key]!);
  return out;
}

export function encodePoint(point: MetricPoint): MetricPoint {
  return { fields: encodeFields(point.fields), ts: point.ts };
}

export function decodeSeries(series: MetricSeries): MetricSeries {
  return {
    ...series,
    points: series.points.map((p) => ({
      ...p,
      fields: decodeWireDeep(p.fields) as Record<string, JsonValue>,
    })),
  };
}
