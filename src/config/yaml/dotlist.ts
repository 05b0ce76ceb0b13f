import { parseDocument } from "yaml";
import { ConfigOverrideError } from "../../errors.js";
import { dottedPath, isConfigMap, pathKey } from "./yaml-layer.js";
import type { ConfigLayer, ConfigMap, Origin } from "./yaml-layer.js";

/** One `-c key.path=value` override, parsed. */
export interface Override {
  readonly text: string;
  /** Dotted segments as written; whether a segment is a list index depends on what it meets. */
  readonly segments: readonly string[];
  readonly value: unknown;
}

/**
 * Parses an OmegaConf dotlist entry: `key.path=value`, the value typed as a YAML scalar (or flow list/map):
 * `lr=1e-5` is a number, `flag=true` a boolean, `name=resize` a string, `x=` null, `tags=[a, b]` a list.
 */
export function parseOverride(text: string): Override {
  const equals = text.indexOf("=");
  if (equals < 0)
    throw new ConfigOverrideError(
      `-c ${text}: an override is written key.path=value (e.g. -c optimizer.lr=1e-4); "=" is missing.`,
      { details: { override: text } },
    );
  const key = text.slice(0, equals).trim();
  const segments = key.split(".");
  if (key === "" || segments.some((segment) => segment === ""))
    throw new ConfigOverrideError(
      `-c ${text}: "${key}" is not a key path; write dot-separated keys and list indices, e.g. data.transforms.0.name=resize.`,
      { details: { override: text, key } },
    );
  const doc = parseDocument(text.slice(equals + 1), { prettyErrors: false });
  const problem = doc.errors[0];
  if (problem)
    throw new ConfigOverrideError(
      `-c ${text}: the value is not valid YAML (${problem.message.split("\n")[0]}); quote it, e.g. ${key}='"…"'.`,
      { details: { override: text, key } },
    );
  return { text, segments, value: doc.toJS() ?? null };
}

/**
 * Applies overrides, in order, to a merged configuration (in place) and returns the layer that records
 * where their values come from. Maps missing along the path are created; a list index must exist.
 */
export function applyOverrides(config: ConfigMap, overrides: readonly Override[]): ConfigLayer {
  const origins = new Map<string, Origin>();
  for (const override of overrides) {
    const origin: Origin = { kind: "override", text: override.text };
    let node: ConfigMap | unknown[] = config;
    const path: (string | number)[] = [];
    override.segments.forEach((segment, i) => {
      const last = i === override.segments.length - 1;
      let step: string | number = segment;
      if (Array.isArray(node)) {
        if (!/^\d+$/.test(segment) || Number(segment) >= node.length)
          throw new ConfigOverrideError(
            `-c ${override.text}: ${dottedPath(path)} is a list of ${node.length} item(s), so "${segment}" must be ` +
              `an index from 0 to ${node.length - 1}. Lists are replaced as a whole: -c ${dottedPath(path)}='[…]'.`,
            { details: { override: override.text, path: dottedPath(path) } },
          );
        step = Number(segment);
      }
      path.push(step);
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[step] = override.value;
        // Every item of the value is this override's, not the lower layers' it replaced.
        const record = (value: unknown, at: (string | number)[]) => {
          origins.set(pathKey(at), origin);
          if (Array.isArray(value)) value.forEach((item, index) => record(item, [...at, index]));
          else if (isConfigMap(value))
            for (const [key, item] of Object.entries(value)) record(item, [...at, key]);
        };
        record(override.value, path);
        return;
      }
      const next = container[step];
      if (next === undefined || next === null) {
        container[step] = {};
        origins.set(pathKey(path), origin);
      } else if (!isConfigMap(next) && !Array.isArray(next)) {
        throw new ConfigOverrideError(
          `-c ${override.text}: ${dottedPath(path)} holds ${JSON.stringify(next)}, not a map or a list, so it has no ` +
            `"${override.segments[i + 1]}". Set ${dottedPath(path)} itself, or check the key path.`,
          { details: { override: override.text, path: dottedPath(path) } },
        );
      }
      node = container[step] as ConfigMap | unknown[];
    });
  }
  return { source: "-c", data: {}, origins };
}
