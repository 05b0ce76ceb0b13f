import { TrackingValueError } from "../../errors.js";
import { encodeJson } from "../../format/json-codec.js";
import {
  Params,
  flattenParams,
  unflattenParams,
  type FlatParams,
  type NestedParams,
  type ParamsGetOptions,
  type ParamsTarget,
} from "../params.js";
import type { RemoteSink } from "./remote-sink.js";

/**
 * `run.params` in remote mode: `set` goes into the next batch (and to `parameters.json` too when the run
 * also writes locally); `get` answers from what this Run set (or from the local file).
 */
export class RemoteParams extends Params {
  readonly #sink: () => RemoteSink;
  readonly #local: boolean;
  readonly #beforeWrite: () => void;
  #flat: FlatParams = {};

  /** @internal */
  constructor(
    dir: string,
    beforeWrite: () => void,
    sink: () => RemoteSink,
    local: boolean,
    localTarget: () => ParamsTarget,
  ) {
    super(dir, localTarget);
    this.#beforeWrite = beforeWrite;
    this.#sink = sink;
    this.#local = local;
  }

  override set(params: Readonly<Record<string, unknown>>): this {
    if (this.#local) super.set(params);
    else {
      this.#beforeWrite();
      const proto =
        typeof params === "object" && params !== null
          ? (Object.getPrototypeOf(params) as unknown)
          : undefined;
      if (Array.isArray(params) || (proto !== Object.prototype && proto !== null)) {
        throw new TrackingValueError("params.set takes a plain object, e.g. run.params.set({ lr: 0.001 }).");
      }
    }
    const flat = flattenParams(params);
    encodeJson(flat);
    if (Object.keys(flat).length === 0) return this;
    this.#flat = { ...this.#flat, ...flat };
    this.#sink().setParams(flat);
    return this;
  }

  override log(params: Readonly<Record<string, unknown>>): this {
    return this.set(params);
  }

  override get(options: ParamsGetOptions = {}): FlatParams | NestedParams {
    if (this.#local) return super.get(options);
    return options.flatten === false ? unflattenParams(this.#flat) : { ...this.#flat };
  }
}
