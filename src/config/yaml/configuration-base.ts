import { z } from "zod";
import { ConfigValueError } from "../../errors.js";
import type { LoadedConfig } from "./config-loader.js";
import { displayFile } from "./yaml-layer.js";
import { describeIssue } from "./validate.js";

/** What to do when the experiment's git repository has uncommitted changes (experimaestro's DirtyGitAction). */
export const DirtyGitAction = Object.freeze({
  /** Don't check. */
  IGNORE: "ignore",
  /** Print a warning and go on (the default). */
  WARN: "warn",
  /** Stop with a `DirtyGitError`. */
  ERROR: "error",
} as const);
export type DirtyGitAction = (typeof DirtyGitAction)[keyof typeof DirtyGitAction];

/**
 * The keys every experiment YAML file understands (experimaestro's `ConfigurationBase`). An experiment
 * file's `configuration` extends it with its own keys; `null` unsets an inherited `file`, `module`, … .
 *
 * @example
 * export const configuration = ConfigurationBase.extend({
 *   learning_rate: z.number().default(1e-3),
 * });
 * export async function run(helper: ExperimentHelper, cfg: z.infer<typeof configuration>) { … }
 */
export const ConfigurationBase = z.object({
  /** Unique identifier of the experiment (required). */
  id: z.string().min(1),
  /** The experiment file, relative to the YAML file; `.ts`, `.js` or `.mjs` is added when missing. */
  file: z.string().min(1).nullish(),
  /** Dotted module name of the experiment file (`first_stage.experiment`), exclusive with `file`. */
  module: z.string().min(1).nullish(),
  /** Folders `module` (and a `pre_experiment` module) are looked up in, relative to the YAML file. */
  pythonpath: z.array(z.string()).nullish(),
  /** A parent YAML file, relative to this one; its values are overridden by this file's. */
  parent: z.string().nullish(),
  /** A TS/JS file (or dotted module) run before the experiment file is imported. */
  pre_experiment: z.string().min(1).nullish(),
  title: z.string().default(""),
  subtitle: z.string().default(""),
  description: z.string().default(""),
  paper: z.string().default(""),
  /** Append `-YYYYMMDD-HHMM` to `id`. */
  add_timestamp: z.boolean().default(false),
  dirty_git: z.enum(["ignore", "warn", "error"]).default("warn"),
});
export type ConfigurationBase = z.infer<typeof ConfigurationBase>;

/** The keys `ConfigurationBase` declares (labrun's own; every other key is the experiment's). */
export const baseKeys: readonly string[] = Object.keys(ConfigurationBase.shape);

/**
 * Checks the keys labrun itself reads, before any experiment code is imported: `id` is present, `file` and
 * `module` are not both set, and every base key has the right type.
 */
export function checkBaseConfig(config: LoadedConfig): ConfigurationBase {
  const data = config.data;
  if (data.id === undefined || data.id === null)
    throw new ConfigValueError(
      `${displayFile(config.file)}: \`id\` is required: add e.g. \`id: my-experiment\` to this file ` +
        `(or to one it inherits from with \`parent\`), or pass -c id=my-experiment.`,
      { details: { file: config.file, key: "id" } },
    );
  const isSet = (key: string) => data[key] !== undefined && data[key] !== null;
  if (isSet("file") && isSet("module"))
    throw new ConfigValueError(
      `Both \`file\` (${config.where(["file"])}) and \`module\` (${config.where(["module"])}) are set; ` +
        "keep one of them (set the other to null to unset an inherited value).",
      { details: { file: config.file, keys: ["file", "module"] } },
    );
  const picked = Object.fromEntries(baseKeys.filter((key) => key in data).map((key) => [key, data[key]]));
  const parsed = ConfigurationBase.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigValueError(describeIssue(config, issue), {
      details: { file: config.file, key: issue.path.join("."), issues: parsed.error.issues },
    });
  }
  return parsed.data;
}
