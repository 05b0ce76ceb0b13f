import type { JsonValue } from "./json-codec.js";

// JSON has no NaN or ±Infinity. On the wire (HTTP bodies, server-sent events, `--json` output; see
// docs/server-api.md) they travel as the strings "NaN", "Infinity" and "-Infinity", which every JSON parser
// accepts, and come back as numbers where a number is expected. (Run folders write the bare tokens instead,
// as Python's json module does: see json-codec.ts.)

const nonFinite: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** The `JSON.stringify` replacer of the wire: non-finite numbers become their names. */
export function wireReplacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

/**
 * JSON text of any value for the wire, with non-finite numbers anywhere written as their names.
 *
 * @example stringifyWire({ loss: NaN }) // '{"loss":"NaN"}'
 */
export function stringifyWire(value: unknown, indent?: number): string {
  return JSON.stringify(value, wireReplacer, indent);
}

/** Whether a string received is the name of a non-finite number ("NaN", "Infinity", "-Infinity"). */
export function isNonFiniteName(value: string): boolean {
  return Object.hasOwn(nonFinite, value);
}

/** A value as sent: a non-finite number becomes its name. */
export function encodeWireValue(value: JsonValue): JsonValue {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

/** A value as received: "NaN", "Infinity", "-Infinity" become numbers again. */
export function decodeWireValue(value: JsonValue): JsonValue {
  return typeof value === "string" && Object.hasOwn(nonFinite, value) ? nonFinite[value]! : value;
}

/** Any value as received: the names of non-finite numbers become numbers again, at any depth. */
export function decodeWireDeep(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(decodeWireDeep);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const key in value) out[key] = decodeWireDeep((value as Record<string, JsonValue>)[key]!);
    return out;
  }
  return decodeWireValue(value);
}
