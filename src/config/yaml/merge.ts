import { isConfigMap, pathKey } from "./yaml-layer.js";
import type { ConfigLayer, ConfigMap, ConfigPath, Origin } from "./yaml-layer.js";

/**
 * Merges layers, lowest priority first, as OmegaConf merges: maps merge key by key at every depth; any other
 * value (a list, a scalar, null) replaces what was there.
 */
export function mergeLayers(layers: readonly ConfigLayer[]): ConfigMap {
  let merged: ConfigMap = {};
  for (const layer of layers) merged = mergeValues(merged, layer.data) as ConfigMap;
  return merged;
}

/** `over` merged onto `base`: maps key by key, anything else replaces (a copy, never shared). */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isConfigMap(base) || !isConfigMap(over)) return structuredClone(over);
  const result: ConfigMap = { ...base };
  for (const [key, value] of Object.entries(over)) result[key] = mergeValues(base[key], value);
  return result;
}

/**
 * Where the value at `path` of the merged configuration was written: the highest layer that sets that
 * exact path. (A path that exists after merging comes from the highest layer that writes it, since a
 * layer that replaced one of its ancestors without it would have removed it.) Falls back to the nearest
 * ancestor that has an origin, for values that only a default fills in.
 */
export function originOf(layers: readonly ConfigLayer[], path: ConfigPath): Origin | undefined {
  for (let length = path.length; length >= 0; length--) {
    const key = pathKey(path.slice(0, length));
    for (let i = layers.length - 1; i >= 0; i--) {
      const origin = layers[i]!.origins.get(key);
      if (origin) return origin;
    }
  }
  return undefined;
}
