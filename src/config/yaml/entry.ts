import { existsSync, statSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { ExperimentFileError } from "../../errors.js";
import type { LoadedConfig } from "./config-loader.js";
import type { ConfigurationBase } from "./configuration-base.js";
import { displayFile } from "./yaml-layer.js";

/** Extensions tried, in order, for `file: experiment` and for modules (`.py`: planned by the Python client). */
export const experimentExtensions = [".ts", ".js", ".mjs", ".py"] as const;
const knownExtensions = new Set([".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".py"]);

/**
 * The experiment file the configuration names: `file` (default `experiment`) relative to the YAML file
 * that sets it, or the dotted `module` looked up in the `pythonpath` folders.
 */
export function resolveExperimentEntry(config: LoadedConfig, base: ConfigurationBase): string {
  if (base.module) return resolveModule(config, base, base.module, "module");
  const file = base.file ?? "experiment";
  const dir = config.sets(["file"]) ? config.baseDirOf("file") : dirname(config.file);
  const found = withExtension(resolve(dir, file));
  if (!found)
    throw new ExperimentFileError(
      `${config.sets(["file"]) ? config.where(["file"]) : displayFile(config.file)}: experiment file ` +
        `${displayFile(resolve(dir, file))} does not exist${extname(file) ? "" : ` (looked for ${candidates(resolve(dir, file)).join(", ")})`}. ` +
        "Set `file` to the path of the file that defines `run(helper, cfg)` (TypeScript, JavaScript or Python), relative to the YAML file.",
      { details: { file: resolve(dir, file) } },
    );
  return found;
}

/**
 * `pre_experiment`: a file path (with an extension or a `/`) relative to its YAML file, or else a dotted
 * module looked up like `module`.
 */
export function resolvePreExperiment(config: LoadedConfig, base: ConfigurationBase): string | undefined {
  const value = base.pre_experiment;
  if (!value) return undefined;
  if (!value.includes("/") && !knownExtensions.has(extname(value)))
    return resolveModule(config, base, value, "pre_experiment");
  const path = resolve(config.baseDirOf("pre_experiment"), value);
  const found = withExtension(path);
  if (!found)
    throw new ExperimentFileError(
      `${config.where(["pre_experiment"])}: pre_experiment file ${displayFile(path)} does not exist. ` +
        "Give a TS/JS file relative to the YAML file, or a dotted module name.",
      { details: { file: path } },
    );
  return found;
}

/**
 * The folders modules are looked up in: `pythonpath` (relative to the YAML file that sets it), or by
 * default the folder that holds the top package when the YAML file sits beside the module
 * (`..` for `first_stage.experiment`, `../..` for `first_stage.sub.experiment`).
 */
export function moduleSearchPath(config: LoadedConfig, base: ConfigurationBase): string[] {
  if (base.pythonpath) {
    const dir = config.baseDirOf("pythonpath");
    return base.pythonpath.map((folder) => resolve(dir, folder));
  }
  const depth = (base.module ?? "").split(".").length;
  const dir = base.module ? config.baseDirOf("module") : dirname(config.file);
  return [resolve(dir, ...Array<string>(Math.max(0, depth - 1)).fill(".."))];
}

function resolveModule(config: LoadedConfig, base: ConfigurationBase, name: string, key: string): string {
  if (!/^[\w$-]+(\.[\w$-]+)*$/.test(name))
    throw new ExperimentFileError(
      `${config.where([key])}: \`${key}\` "${name}" is not a dotted module name (like first_stage.experiment).`,
      { details: { key, module: name } },
    );
  const folders = moduleSearchPath(config, base);
  const relativePath = join(...name.split("."));
  for (const folder of folders) {
    const found =
      withExtension(join(folder, relativePath)) ?? withExtension(join(folder, relativePath, "index"));
    if (found) return found;
  }
  throw new ExperimentFileError(
    `${config.where([key])}: module ${name} was not found as ${relativePath}{${experimentExtensions.join(",")}} ` +
      `in ${folders.map(displayFile).join(", ")}. Set \`pythonpath\` to the folders that hold it (relative to the YAML file).`,
    { details: { key, module: name, searched: folders } },
  );
}

/** The files `withExtension` tries for a path without an extension, for error messages. */
function candidates(path: string): string[] {
  return experimentExtensions.map((extension) => displayFile(path + extension));
}

function withExtension(path: string): string | undefined {
  const isFile = (candidate: string) => existsSync(candidate) && statSync(candidate).isFile();
  if (knownExtensions.has(extname(path)) && isFile(path)) return path;
  for (const extension of experimentExtensions) if (isFile(path + extension)) return path + extension;
  return undefined;
}
