import { TrackingValueError } from "../errors.js";
import { encodeJson } from "../format/json-codec.js";
import {
  flattenParams,
  isPlainObject,
  readParams,
  unflattenParams,
  type FlatParams,
  type NestedParams,
} from "../format/params-file.js";

// The parameters document (parameters.json) is the run folder's format: format/params-file.ts.
export {
  flattenParams,
  mergeParams,
  paramsFile,
  readParams,
  unflattenParams,
  type FlatParams,
  type NestedParams,
} from "../format/params-file.js";

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
