import { extname, resolve } from "node:path";
import { Partial } from "../../config/partial.js";
import { PythonPartial } from "../../config/python/python-partial.js";
import { PythonTask } from "../../config/python/python-task.js";
import { Script } from "../../config/script.js";
import type { Task } from "../../config/task.js";
import { InvalidTaskError, UnknownDependencyError } from "../../errors.js";
import { executorFromConfig } from "../../executors/executor-kinds.js";
import type { Executor } from "../../executors/executor.js";
import { shellQuote } from "../../executors/job-files.js";
import { defaultPython } from "../../util/engine-paths.js";
import type { Experiment } from "../experiment.js";
import type { ExecutorSpec, Plan, TaskSpec } from "./plan-schema.js";

/** What relative paths and Python defaults of a plan resolve against. */
export interface PlanDefaults {
  readonly cwd: string;
  readonly python: string;
  readonly pythonpath: readonly string[];
}

export function planDefaults(plan: Plan): PlanDefaults {
  const cwd = resolve(plan.cwd ?? process.cwd());
  return {
    cwd,
    python: plan.python?.interpreter ?? defaultPython(),
    pythonpath: (plan.python?.pythonpath ?? []).map((folder) => resolve(cwd, folder)),
  };
}

/**
 * Adds the plan's jobs to the experiment, one `add()` per entry in order, as the Python client called it:
 * the same naming, group, dependency and reuse rules as a TypeScript experiment. Data-flow references
 * (`{ $task, $identity }` in a Python task's parameters) become dependencies on the job of that identity.
 * Returns the job id of each entry (an entry whose task is already in the experiment names that job).
 */
export function addPlanJobs(exp: Experiment, plan: Plan): string[] {
  const defaults = planDefaults(plan);
  const fallback = plan.executor ? executorFromSpec(plan.executor, defaults) : undefined;
  const jobByIdentity = new Map<string, string>();
  const aliases = new Map<string, string>();
  return plan.jobs.map((entry) => {
    const specs = entry.task ? [entry.task] : entry.tasks!;
    const tasks = specs.map((spec) => taskFromSpec(spec, defaults));
    const implied = tasks.flatMap((task) =>
      task instanceof PythonTask
        ? task.references().map((reference) => {
            const job = jobByIdentity.get(reference.identity);
            if (!job)
              throw new UnknownDependencyError(
                entry.name,
                `the output of task ${reference.task} (identity ${reference.identity.slice(0, 12)}…)`,
              );
            return job;
          })
        : [],
    );
    const dependencies = [...(entry.dependencies ?? []).map((name) => aliases.get(name) ?? name), ...implied];
    const executor = entry.executors
      ? entry.executors.map((spec) => executorFromSpec(spec, defaults))
      : entry.executor
        ? executorFromSpec(entry.executor, defaults)
        : fallback;
    const id = exp.add(entry.task ? tasks[0]! : tasks, {
      name: entry.name,
      ...(executor ? { executor } : {}),
      dependencies: [...new Set(dependencies)],
      ...(entry.tailLogs !== undefined ? { tailLogs: entry.tailLogs } : {}),
      ...(entry.retries !== undefined ? { retries: entry.retries } : {}),
      ...(entry.retryDelayMs !== undefined ? { retryDelayMs: entry.retryDelayMs } : {}),
      ...(entry.force ? { force: true } : {}),
      ...(entry.tokens ? { tokens: entry.tokens } : {}),
    });
    if (id !== entry.name) aliases.set(entry.name, id);
    tasks.forEach((task, index) => {
      if (task.reusable && !jobByIdentity.has(task.identity))
        jobByIdentity.set(task.identity, entry.task ? id : `${id}-${index}`);
    });
    return id;
  });
}

/** The executor a plan describes (paths of packagers relative to the plan's `cwd`). */
export function executorFromSpec(spec: ExecutorSpec, defaults: PlanDefaults): Executor {
  if (spec.kind !== "slurm" || !spec.packager) return executorFromConfig(spec);
  const packager =
    spec.packager.kind === "git-archive"
      ? { ...spec.packager, path: resolve(defaults.cwd, spec.packager.path ?? ".") }
      : { ...spec.packager, root: resolve(defaults.cwd, spec.packager.root ?? ".") };
  return executorFromConfig({ ...spec, packager });
}

/** The task a plan describes, with the plan's `cwd` and Python defaults applied. */
export function taskFromSpec(spec: TaskSpec, defaults: PlanDefaults): Task {
  const cwd = resolve(defaults.cwd, spec.cwd ?? ".");
  switch (spec.kind) {
    case "script": {
      const { kind: _kind, m, ...rest } = spec;
      if (m) {
        if (spec.path === undefined)
          throw new InvalidTaskError(
            "A Script with `m` runs a module: give its name as `path` (pkg.module).",
          );
        return new Script({
          inline: `exec ${shellQuote(defaults.python)} -m ${shellQuote(spec.path)} "$@"\n`,
          ...(spec.args ? { args: spec.args } : {}),
          ...(spec.env ? { env: spec.env } : {}),
          cwd,
          name: spec.name ?? spec.path,
        });
      }
      const python = spec.path !== undefined && extname(spec.path) === ".py" && spec.entrypoint === undefined;
      return new Script({ ...rest, cwd, ...(python ? { entrypoint: defaults.python } : {}) });
    }
    case "python-partial": {
      const { kind: _kind, ...rest } = spec;
      return new PythonPartial({
        ...rest,
        cwd,
        python: spec.python ?? defaults.python,
        pythonpath: [...(spec.pythonpath ?? []), ...defaults.pythonpath],
      });
    }
    case "python-task": {
      const { kind: _kind, ...rest } = spec;
      return new PythonTask({
        ...rest,
        cwd,
        python: spec.python ?? defaults.python,
        pythonpath: [...(spec.pythonpath ?? []), ...defaults.pythonpath],
      });
    }
    case "partial": {
      const { kind: _kind, ...rest } = spec;
      return new Partial({ ...rest, cwd });
    }
  }
}
