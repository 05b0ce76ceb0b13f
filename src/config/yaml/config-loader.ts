import { existsSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigOverrideError, ConfigParentCycleError, ConfigValueError } from "../../errors.js";
import { applyOverrides, parseOverride } from "./dotlist.js";
import { mergeLayers, originOf } from "./merge.js";
import { displayFile, formatOrigin, pathKey, readYamlLayer } from "./yaml-layer.js";
import type { ConfigLayer, ConfigMap, ConfigPath, Origin } from "./yaml-layer.js";

export interface LoadConfigOptions {
  /** The main YAML file. */
  readonly file: string;
  /** Merged before the main file (each after its own `parent` chain). */
  readonly preYaml?: readonly string[];
  /** Merged after the main file (each after its own `parent` chain). */
  readonly postYaml?: readonly string[];
  /** `key.path=value` overrides (OmegaConf dotlist), applied last, in order. */
  readonly overrides?: readonly string[];
}

/** A merged configuration, and where each of its values comes from. */
export class LoadedConfig {
  constructor(
    /** The main YAML file (absolute). */
    readonly file: string,
    /** The merged configuration: plain YAML data, not validated yet. */
    readonly data: ConfigMap,
    /** Every layer, lowest priority first; the last is the `-c` overrides when there are any. */
    readonly layers: readonly ConfigLayer[],
    readonly overrides: readonly string[],
  ) {}

  /** The YAML files used, in merge order (absolute paths). */
  get files(): string[] {
    return this.layers.filter((layer) => layer.source !== "-c").map((layer) => layer.source);
  }

  originOf(path: ConfigPath): Origin | undefined {
    return originOf(this.layers, path);
  }

  /** `file.yaml:12` for the value at `path` (or the main file when no layer sets it). */
  where(path: ConfigPath): string {
    const origin = this.originOf(path);
    return origin ? formatOrigin(origin) : displayFile(this.file);
  }

  /** True when some layer writes this exact path (not only a default). */
  sets(path: ConfigPath): boolean {
    const key = pathKey(path);
    return this.layers.some((layer) => layer.origins.has(key));
  }

  /** The folder a relative path in the value at `key` is resolved against: its YAML file's, else the main file's. */
  baseDirOf(key: string): string {
    const origin = this.originOf([key]);
    return dirname(origin?.kind === "file" ? origin.file : this.file);
  }
}

/**
 * Reads and merges an experiment's YAML files, lowest priority first: each `--pre-yaml` file, the main
 * file, each `--post-yaml` file — every file preceded by its `parent` chain (the root ancestor first) —
 * then the `-c` overrides. Maps merge deeply; lists and scalars are replaced.
 *
 * @example
 * const config = loadYamlConfig({ file: "full.yaml", overrides: ["optimizer.lr=1e-4"] });
 * config.data.optimizer; // { lr: 0.0001, … }
 * config.where(["optimizer", "lr"]); // "-c optimizer.lr=1e-4"
 */
export function loadYamlConfig(options: LoadConfigOptions): LoadedConfig {
  const file = resolve(options.file);
  const layers = [
    ...(options.preYaml ?? []).flatMap((pre) => withParents(resolve(pre))),
    ...withParents(file),
    ...(options.postYaml ?? []).flatMap((post) => withParents(resolve(post))),
  ];
  const data = mergeLayers(layers);
  const overrides = (options.overrides ?? []).map(parseOverride);
  for (const override of overrides)
    if (override.segments[0] === "parent")
      throw new ConfigOverrideError(
        `-c ${override.text}: \`parent\` is read while the YAML files are loaded, before overrides apply; ` +
          "pass the file with --pre-yaml or --post-yaml instead.",
        { details: { override: override.text } },
      );
  if (overrides.length > 0) layers.push(applyOverrides(data, overrides));
  return new LoadedConfig(file, data, layers, options.overrides ?? []);
}

/** The file's `parent` chain, root ancestor first, then the file itself. */
function withParents(file: string): ConfigLayer[] {
  const chain: ConfigLayer[] = [];
  const seen: string[] = [];
  let current: string | undefined = file;
  let referencedFrom: string | undefined;
  while (current !== undefined) {
    const layer = readYamlLayer(current, referencedFrom);
    const real = realpathSync(current);
    if (seen.includes(real))
      throw new ConfigParentCycleError([...seen, real].slice(seen.indexOf(real)).map(displayFile));
    seen.push(real);
    chain.unshift(layer);
    const parent = layer.data.parent;
    const where = formatOrigin(
      layer.origins.get(pathKey(["parent"])) ?? { kind: "file", file: current, line: 1 },
    );
    if (parent === undefined || parent === null) break;
    if (typeof parent !== "string" || parent.trim() === "")
      throw new ConfigValueError(
        `${where}: \`parent\` is the relative path of a parent YAML file, not ${JSON.stringify(parent)}.`,
        { details: { file: current, key: "parent" } },
      );
    const base = resolve(dirname(current), parent);
    // As experimaestro does, `parent: base` also finds base.yaml.
    current =
      existsSync(base) || base.endsWith(".yaml") || !existsSync(`${base}.yaml`) ? base : `${base}.yaml`;
    referencedFrom = `${where} (parent)`;
  }
  return chain;
}
