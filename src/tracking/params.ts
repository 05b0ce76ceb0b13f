import { join } from "node:path";
import { TrackingValueError } from "../errors.js";
import { isoNow } from "./clock.js";
import { encodeJson, type JsonValue } from "../format/json-codec.js";
import { readJsonObject, writeJsonObject } from "../format/json-file.js";

export type FlatParams = Record<string, JsonValue>;
export type NestedParams = { [key: string]: JsonValue | NestedParams };

export const paramsFile = "parameters.json";

function isPlainObject(value: unknown): value is Record<string, unknown> {
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

export interface ParamsGetOptions {
  /** true (default, as ML-Dash): dot keys; false: nested objects. */
  readonly flatten?: boolean;
}

/** Where `Params.set` writes: the run's local sink (it queues what a full disk refuses). */
export interface ParamsTarget {
  params(flat: Readonly<FlatParams>): void;
  pendingParams(): Readonly<FlatParams> | undefined;
}

/** A run's parameters: `set` merges (nested objects are flattened to dot keys), `get` reads them back. */
export class Params {
  readonly #dir: string;
  readonly #target: () => ParamsTarget;
  #last: ParamsTarget | undefined;

  /** @internal `target` throws when the run takes no more data. */
  constructor(dir: string, target: () => ParamsTarget) {
    this.#dir = dir;
    this.#target = target;
  }

  /**
   * Merges parameters into the run's `parameters.json` at once (nested objects become dot keys:
   * `{ model: { depth: 50 } }` → `model.depth`). Keys set again are replaced; others are kept. A write the
   * disk refuses (full) is not thrown: it stays queued and is written when the disk takes it (`writeStatus()`).
   *
   * @example run.params.set({ lr: 1e-3, model: { depth: 50 } });
   */
  set(params: Readonly<Record<string, unknown>>): this {
    const target = this.#target();
    if (!isPlainObject(params)) {
      throw new TrackingValueError("params.set takes a plain object, e.g. run.params.set({ lr: 0.001 }).");
    }
    const flat = flattenParams(params);
    encodeJson(flat); // checks every value before anything is written
    if (Object.keys(flat).length === 0) return this;
    this.#last = target;
    target.params(flat);
    return this;
  }

  /** ML-Dash's alias of `set`. */
  log(params: Readonly<Record<string, unknown>>): this {
    return this.set(params);
  }

  /** The parameters: flattened to dot keys (default), or nested with `{ flatten: false }`. */
  get(options: ParamsGetOptions = {}): FlatParams | NestedParams {
    const waiting = this.#last?.pendingParams();
    const flat = waiting ? { ...readParams(this.#dir), ...waiting } : readParams(this.#dir);
    return options.flatten === false ? unflattenParams(flat) : flat;
  }
}
