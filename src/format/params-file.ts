import { join } from "node:path";
import { isoNow } from "./clock.js";
import type { JsonValue } from "./json-codec.js";
import { readJsonObject, writeJsonObject } from "./json-file.js";

export type FlatParams = Record<string, JsonValue>;
export type NestedParams = { [key: string]: JsonValue | NestedParams };

export const paramsFile = "parameters.json";

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** ML-Dash's flatten_dict: nested plain objects become dot keys; arrays and other values are leaves. */
export function flattenParams(
  nested: Readonly<Record<string, unknown>>,
  parent = "",
  out: FlatParams = {},
): FlatParams {
  for (const [key, value] of Object.entries(nested)) {
    const flatKey = parent ? `${parent}.${key}` : key;
    if (value === undefined) continue;
    if (isPlainObject(value)) flattenParams(value, flatKey, out);
    else out[flatKey] = value as JsonValue;
  }
  return out;
}

/** Splits dot keys back into objects; a key that is both a leaf and a parent keeps the deeper key flat. */
export function unflattenParams(flat: Readonly<FlatParams>): NestedParams {
  const result: NestedParams = {};
  // Shallow keys first, so that of a leaf `a` and a deeper `a.b` the deeper one is the one kept flat.
  const depth = (key: string) => key.split(".").length;
  const entries = Object.entries(flat).sort(([a], [b]) => depth(a) - depth(b));
  for (const [key, value] of entries) {
    const parts = key.split(".");
    let node: NestedParams = result;
    let placed = false;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      const next = node[part];
      if (next === undefined) node = node[part] = {};
      else if (isPlainObject(next)) node = next as NestedParams;
      else {
        node[parts.slice(i).join(".")] = value;
        placed = true;
        break;
      }
    }
    if (placed) continue;
    node[parts[parts.length - 1]!] = value;
  }
  return result;
}

interface ParamsDocument {
  version: number;
  data: FlatParams;
  createdAt?: string;
  updatedAt?: string;
  [extra: string]: unknown;
}

function readDocument(dir: string): ParamsDocument | undefined {
  const raw = readJsonObject(join(dir, paramsFile));
  if (raw === undefined) return undefined;
  const data = isPlainObject(raw.data) ? (raw.data as FlatParams) : {};
  return { ...raw, version: typeof raw.version === "number" ? raw.version : 1, data };
}

/** Merges checked, flattened parameters into `dir`'s parameters.json (one atomic replace). */
export function mergeParams(dir: string, flat: Readonly<FlatParams>): void {
  const now = isoNow();
  const existing = readDocument(dir);
  const document: ParamsDocument = existing
    ? { ...existing, version: existing.version + 1, data: { ...existing.data, ...flat }, updatedAt: now }
    : { version: 1, data: { ...flat }, createdAt: now, updatedAt: now };
  writeJsonObject(join(dir, paramsFile), document);
}

/** The flattened parameters of the run in `dir` ({} when it has none). */
export function readParams(dir: string): FlatParams {
  return readDocument(dir)?.data ?? {};
}
