import type { JsonValue } from "../../format/json-codec.js";
import type { MetricPoint, MetricSeries } from "../store.js";

// JSON has no NaN or ±Infinity: on the wire (docs/server-api.md) they travel inside metric fields as the
// strings "NaN", "Infinity" and "-Infinity", and come back the same way.

const nonFinite: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** A metric field value as sent: non-finite numbers become their names. */
export function encodeFieldValue(value: JsonValue): JsonValue {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

/** A metric field value as received: "NaN", "Infinity", "-Infinity" become numbers again. */
export function decodeFieldValue(value: JsonValue): JsonValue {
  return typeof value === "string" && value in nonFinite ? nonFinite[value]! : value;
}

export function encodeFields(fields: Readonly<Record<string, JsonValue>>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key in fields) out[key] = encodeFieldValue(fields[key]!);
  return out;
}

export function decodeFields(fields: Readonly<Record<string, JsonValue>>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key in fields) out[key] = decodeFieldValue(fields[key]!);
  return out;
}

export function encodePoint(point: MetricPoint): MetricPoint {
  return { fields: encodeFields(point.fields), ts: point.ts };
}

export function decodeSeries(series: MetricSeries): MetricSeries {
  return {
    ...series,
    points: series.points.map((p) => ({ ...p, fields: decodeDeep(p.fields) as Record<string, JsonValue> })),
  };
}

/**
 * JSON text of any value, with non-finite numbers anywhere written as their names (parameters and log
 * metadata may hold them too; the server keeps those as strings).
 */
export function stringifyWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
  );
}

/** Any value as received: the names of non-finite numbers become numbers again, at any depth. */
export function decodeDeep(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(decodeDeep);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const key in value) out[key] = decodeDeep((value as Record<string, JsonValue>)[key]!);
    return out;
  }
  return decodeFieldValue(value);
}
