import { LabrunError } from "./labrun-error.js";

export class UnknownExperimentError extends LabrunError {
  override readonly code = "EXPERIMENT_NOT_FOUND";
  constructor(idOrTitle: string, workspace: string) {
    super(
      `No experiment "${idOrTitle}" in workspace ${workspace}. Run \`labrun experiment list\` to see the ids ` +
        `(or pass --workspace / set LABRUN_HOME if it lives elsewhere).`,
      { details: { idOrTitle, workspace } },
    );
  }
}

export class UnknownJobError extends LabrunError {
  override readonly code = "JOB_NOT_FOUND";
  constructor(job: string, experimentId: string, known: readonly string[]) {
    super(
      `Experiment ${experimentId} has no job "${job}". Use a job index (0-${Math.max(0, known.length - 1)}) ` +
        `or one of: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}.`,
      { details: { job, experimentId, known } },
    );
  }
}

export class DuplicateJobNameError extends LabrunError {
  override readonly code = "DUPLICATE_JOB_NAME";
  constructor(name: string) {
    super(`A job named "${name}" is already in this experiment. Give each job a unique \`name\`.`, {
      details: { name },
    });
  }
}

export class UnknownDependencyError extends LabrunError {
  override readonly code = "UNKNOWN_DEPENDENCY";
  constructor(job: string, dependency: string) {
    super(
      `Job "${job}" depends on "${dependency}", which is not a job of this experiment. ` +
        `Pass the id returned by \`exp.add(...)\` of a job added before it.`,
      { details: { job, dependency } },
    );
  }
}

export class DependencyCycleError extends LabrunError {
  override readonly code = "DEPENDENCY_CYCLE";
  constructor(cycle: readonly string[]) {
    super(`Jobs depend on each other in a cycle: ${cycle.join(" → ")}. Remove one of these dependencies.`, {
      details: { cycle },
    });
  }
}

export class TaskCannotStartError extends LabrunError {
  override readonly code = "TASK_CANNOT_START";
  constructor(what: string, fix: string, details: Record<string, unknown> = {}) {
    super(`${what}. ${fix}`, { details });
  }
}

export class InvalidTaskError extends LabrunError {
  override readonly code = "INVALID_TASK";
}

export class InvalidExecutorError extends LabrunError {
  override readonly code = "INVALID_EXECUTOR";
}

export class ExperimentStateError extends LabrunError {
  override readonly code = "EXPERIMENT_STATE";
}

export class ExperimentBusyError extends LabrunError {
  override readonly code = "EXPERIMENT_BUSY";
  constructor(experimentId: string, holder: { pid: number; host: string }) {
    super(
      `Experiment ${experimentId} is already being driven by process ${holder.pid} on ${holder.host}. ` +
        `Watch it with \`labrun experiment status ${experimentId}\`, or stop that process first.`,
      { details: { experimentId, ...holder } },
    );
  }
}

export class ExperimentExistsError extends LabrunError {
  override readonly code = "EXPERIMENT_EXISTS";
  constructor(dir: string) {
    super(`Experiment directory ${dir} already exists. Pass \`existOk: true\` or use a new id.`, {
      details: { dir },
    });
  }
}

export class ExperimentFileError extends LabrunError {
  override readonly code = "EXPERIMENT_FILE";
}

export class UnknownKindError extends LabrunError {
  override readonly code = "UNKNOWN_KIND";
  constructor(what: "task" | "executor", kind: string) {
    super(
      `This process does not know the ${what} kind "${kind}". Built-in kinds are always known; a custom kind must be ` +
        `registered (register${what === "task" ? "TaskKind" : "ExecutorKind"}) by a module imported before the experiment is reopened.`,
      { details: { what, kind } },
    );
  }
}

export class TaskValidationError extends LabrunError {
  override readonly code = "TASK_VALIDATION";
  constructor(
    task: string,
    issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
  ) {
    const lines = issues.map(
      (issue) => `${issue.path.map(String).join(".") || "(parameters)"}: ${issue.message}`,
    );
    super(
      `Parameters of task "${task}" are not valid: ${lines.join("; ")}. Fix them in the call ${task}({…}).`,
      {
        details: { task, issues: lines },
      },
    );
  }
}

export class IndexUnavailableError extends LabrunError {
  override readonly code = "INDEX_UNAVAILABLE";
  constructor(file: string, problem: string) {
    super(
      `The workspace index ${file} cannot be written (${problem}). It is only a cache: listings still read the ` +
        `experiment folders. Check the workspace's permissions, or stop the process holding the index, and retry.`,
      { details: { file, problem } },
    );
  }
}

/** A service of an experiment (`helper.addService`) failed to start. */
export class ServiceStartError extends LabrunError {
  override readonly code = "SERVICE_START";
  constructor(service: string, cause: unknown) {
    super(
      `Service ${service} could not start: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        "Fix what it needs (a free port, a program on the PATH) or remove it from the experiment file, and run again.",
      { cause, details: { service } },
    );
  }
}

/** An option an API does not know (a typo, or an option of another version): refused, never ignored. */
export class UnknownOptionError extends LabrunError {
  override readonly code = "UNKNOWN_OPTION";
  constructor(what: string, unknown: readonly string[], known: readonly string[]) {
    super(
      `${what} does not take ${unknown.map((key) => `\`${key}\``).join(", ")}. Its options are: ${known.join(", ")}.`,
      { details: { what, unknown, known } },
    );
  }
}

/**
 * A labrun file that cannot be read (not JSON, cut short, or not of its schema). Listings skip such a record
 * with a warning naming the file; asked for directly, it is this error; and labrun never writes over it.
 */
export class CorruptRecordError extends LabrunError {
  override readonly code = "CORRUPT_RECORD";
  constructor(file: string, problem: string) {
    super(
      `${file} cannot be read (${problem}). labrun left it as it is and will not write over it: repair it ` +
        `by hand or restore it from a backup; delete it (or its folder) only if what it held may be lost. ` +
        `Listings skip it with a warning meanwhile.`,
      { details: { file, problem } },
    );
  }
}
