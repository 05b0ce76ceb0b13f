import type { JsonValue } from "../../format/json-codec.js";
import { encodeJson, parseJson } from "../../format/json-codec.js";
import type { MetricPoint } from "../store.js";

/**
 * The compact, column-wise encoding of a chunk of consecutive points of one metric stream (one database
 * row, see docs/storage.md). Layout, little-endian:
 *
 *   "LRC1" | u32 header length | header JSON {"n":N,"c":[[name,kind],…]} | padding to 8 bytes |
 *   ts: f64 × N | one f64 × N block per numeric column | per JSON column: u32 length + JSON [[i, value],…]
 *
 * A numeric column holds a field that is a number in every point that has it; a point without the field
 * holds a NaN with a payload of our own (`missing`), so NaN values logged by the user survive. Any other
 * field (strings, booleans, null, arrays, objects) is a JSON column of its present entries.
 */
const magic = 0x3143524c; // "LRC1"
const missingHi = 0x7ffc0dea;
const missingLo = 0xdbeef001;

/** A chunk in columns: what is encoded, decoded and summarised. */
export interface ChunkColumns {
  readonly n: number;
  readonly ts: Float64Array;
  /** Numeric columns; `bits` views the same memory to tell a missing value from a NaN. */
  readonly numeric: ReadonlyMap<string, NumericColumn>;
  /** Other columns: point offset (0-based in the chunk) → value. */
  readonly json: ReadonlyMap<string, ReadonlyMap<number, JsonValue>>;
}

export interface NumericColumn {
  readonly values: Float64Array;
  readonly bits: Uint32Array;
}

/** True when the point at `i` has no value for this numeric column. */
/** Writes the "missing" NaN at double `i` of `bits` (a Uint32Array view of Float64 data). */
export function setMissing(bits: Uint32Array, i: number): void {
  bits[2 * i] = missingLo;
  bits[2 * i + 1] = missingHi;
}

export function isMissing(column: NumericColumn, i: number): boolean {
  return column.bits[2 * i] === missingLo && column.bits[2 * i + 1] === missingHi;
}

/** Turns points into columns (one pass over the fields of every point). */
export function toColumns(points: readonly MetricPoint[]): ChunkColumns {
  const n = points.length;
  const ts = new Float64Array(n);
  const kinds = new Map<string, boolean>(); // field → numeric so far
  for (let i = 0; i < n; i++) {
    const point = points[i]!;
    ts[i] = point.ts;
    const fields = point.fields;
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      const numeric = typeof value === "number";
      const known = kinds.get(key);
      if (known === undefined) kinds.set(key, numeric);
      else if (known && !numeric) kinds.set(key, false);
    }
  }
  const numeric = new Map<string, NumericColumn>();
  const json = new Map<string, Map<number, JsonValue>>();
  for (const [key, isNumeric] of kinds) {
    if (isNumeric) {
      const values = new Float64Array(n);
      const bits = new Uint32Array(values.buffer);
      for (let i = 0; i < n; i++) {
        const value = points[i]!.fields[key];
        if (value === undefined) {
          bits[2 * i] = missingLo;
          bits[2 * i + 1] = missingHi;
        } else values[i] = value as number;
      }
      numeric.set(key, { values, bits });
    } else {
      const entries = new Map<number, JsonValue>();
      for (let i = 0; i < n; i++) {
        const value = points[i]!.fields[key];
        if (value !== undefined) entries.set(i, value);
      }
      json.set(key, entries);
    }
  }
  return { n, ts, numeric, json };
}

/** Encodes columns into the bytes of one chunk row. */
export function encodeChunk(columns: ChunkColumns): Buffer {
  const n = columns.n;
  const header = Buffer.from(
    JSON.stringify({
      n,
      c: [...[...columns.numeric.keys()].map((k) => [k, 0]), ...[...columns.json.keys()].map((k) => [k, 1])],
    }),
  );
  const jsonParts = [...columns.json.values()].map((entries) =>
    Buffer.from(encodeJson([...entries.entries()])),
  );
  const floatsAt = align8(8 + header.length);
  const floatBytes = 8 * n * (1 + columns.numeric.size);
  const total = floatsAt + floatBytes + jsonParts.reduce((sum, part) => sum + 4 + part.length, 0);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(magic, 0);
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  const floats = new Float64Array(out.buffer, out.byteOffset + floatsAt, n * (1 + columns.numeric.size));
  floats.set(columns.ts, 0);
  let at = n;
  for (const column of columns.numeric.values()) {
    // Copy the bytes, not the numbers: a copy through doubles may canonicalise the missing-value NaN.
    new Uint32Array(floats.buffer, floats.byteOffset + at * 8, 2 * n).set(column.bits);
    at += n;
  }
  let offset = floatsAt + floatBytes;
  for (const part of jsonParts) {
    out.writeUInt32LE(part.length, offset);
    part.copy(out, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Decodes the bytes of a chunk row; with `only`, just those fields (the others are not even looked at). */
export function decodeChunk(bytes: Uint8Array, only?: ReadonlySet<string>): ChunkColumns {
  // Typed-array views need 8-byte alignment; a driver's buffer may sit anywhere in its pool.
  const buf =
    bytes.byteOffset % 8 === 0
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
      : Buffer.from(bytes);
  if (buf.readUInt32LE(0) !== magic) throw new Error("metric chunk: bad magic");
  const headerLength = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString("utf8", 8, 8 + headerLength)) as {
    n: number;
    c: [string, 0 | 1][];
  };
  const n = header.n;
  const floatsAt = align8(8 + headerLength);
  const ts = new Float64Array(buf.buffer, buf.byteOffset + floatsAt, n);
  const numeric = new Map<string, NumericColumn>();
  const json = new Map<string, Map<number, JsonValue>>();
  let at = floatsAt + 8 * n;
  const jsonNames: string[] = [];
  for (const [name, kind] of header.c) {
    if (kind === 1) {
      jsonNames.push(name);
      continue;
    }
    if (only && !only.has(name)) {
      at += 8 * n;
      continue;
    }
    const values = new Float64Array(buf.buffer, buf.byteOffset + at, n);
    numeric.set(name, { values, bits: new Uint32Array(buf.buffer, buf.byteOffset + at, 2 * n) });
    at += 8 * n;
  }
  for (const name of jsonNames) {
    const length = buf.readUInt32LE(at);
    if (only && !only.has(name)) {
      at += 4 + length;
      continue;
    }
    const entries = parseJson(buf.toString("utf8", at + 4, at + 4 + length)) as [number, JsonValue][];
    json.set(name, new Map(entries));
    at += 4 + length;
  }
  return { n, ts, numeric, json };
}

/** The point at offset `i` of decoded columns, optionally only some fields. */
export function pointAt(columns: ChunkColumns, i: number, fields?: ReadonlySet<string>): MetricPoint {
  const out: Record<string, JsonValue> = {};
  for (const [name, column] of columns.numeric) {
    if (fields && !fields.has(name)) continue;
    if (!isMissing(column, i)) out[name] = column.values[i]!;
  }
  for (const [name, entries] of columns.json) {
    if (fields && !fields.has(name)) continue;
    const value = entries.get(i);
    if (value !== undefined) out[name] = value;
  }
  return { fields: out, ts: columns.ts[i]! };
}
