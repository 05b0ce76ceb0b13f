import { LabrunError } from "./labrun-error.js";
import { UsageError } from "./usage-errors.js";

/** A YAML experiment file (or a parent, --pre-yaml or --post-yaml file) that is missing or is not valid YAML. */
export class ConfigFileError extends LabrunError {
  override readonly code = "CONFIG_FILE";
}

/** YAML files whose `parent` keys lead back to one of them. */
export class ConfigParentCycleError extends LabrunError {
  override readonly code = "CONFIG_PARENT_CYCLE";
  constructor(chain: readonly string[]) {
    super(
      `The \`parent\` keys of these YAML files form a cycle: ${chain.join(" → ")}. Remove \`parent\` from one of them.`,
      { details: { chain } },
    );
  }
}

/** A configuration value that is missing, conflicts with another, or that the experiment's schema rejects. */
export class ConfigValueError extends LabrunError {
  override readonly code = "CONFIG_VALUE";
}

/** A configuration key that neither `ConfigurationBase` nor the experiment's `configuration` schema declares. */
export class UnknownConfigKeyError extends LabrunError {
  override readonly code = "CONFIG_UNKNOWN_KEY";
  constructor(key: string, where: string, closest: string | undefined, known: readonly string[]) {
    super(
      `${where}: unknown configuration key "${key}"` +
        (closest ? `; did you mean "${closest}"?` : ".") +
        ` Known keys here: ${known.slice(0, 30).join(", ")}${known.length > 30 ? ", …" : ""}` +
        ` (declare new keys in the experiment file's \`configuration\` schema).`,
      { details: { key, where, closest, known } },
    );
  }
}

/** A `-c key.path=value` override whose syntax or path is wrong. */
export class ConfigOverrideError extends LabrunError {
  override readonly code = "CONFIG_OVERRIDE";
}

/** A `--run-mode` other than NORMAL, DRY_RUN or GENERATE. */
export class InvalidRunModeError extends UsageError {
  constructor(mode: string) {
    super(
      `Run mode "${mode}" is not known. Use NORMAL (run the jobs), DRY_RUN (list them) or GENERATE (write their scripts).`,
      {
        details: { mode },
      },
    );
  }
}

/** The experiment's git repository has uncommitted changes and `dirty_git` is `error` (experimaestro's DirtyGitError). */
export class DirtyGitError extends LabrunError {
  override readonly code = "DIRTY_GIT";
  constructor(repository: string, where: string) {
    super(
      `The git repository ${repository} has uncommitted changes and ${where} sets \`dirty_git: error\`. ` +
        "Commit (or stash) the changes, or set `dirty_git: warn` to run anyway.",
      { details: { repository, where } },
    );
  }
}
