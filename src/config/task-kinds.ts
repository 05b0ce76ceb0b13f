import { KindRegistry } from "../util/kind-registry.js";
import { storedTypedTask } from "./define-task.js";
import { Partial, type PartialOptions } from "./partial.js";
import { PythonPartial, type PythonPartialOptions } from "./python/python-partial.js";
import { PythonTask, type PythonTaskOptions } from "./python/python-task.js";
import { Script, type ScriptOptions } from "./script.js";
import type { Task, TaskConfig } from "./task.js";

// Built-in task kinds are resolved from this table, not registered by importing their modules: a process
// that reopens a job.json (the supervisor, `labrun experiment …`) knows them whatever it imported first.
const registry = new KindRegistry<TaskConfig, Task>("task", {
  typed: storedTypedTask,
  script: (config) => new Script(config as unknown as ScriptOptions),
  partial: (config) => new Partial(config as unknown as PartialOptions),
  "python-task": (config) => new PythonTask(config as unknown as PythonTaskOptions),
  "python-partial": (config) => new PythonPartial(config as unknown as PythonPartialOptions),
});

/** The task kinds every process knows (`typed`, `script`, `partial`, `python-task`, `python-partial`). */
export const builtinTaskKinds: readonly string[] = registry.builtinKinds;

/**
 * Lets a custom task kind be rebuilt from its config (when an experiment is reopened from disk). Call it in
 * every process that reopens such tasks; built-in kinds need no call.
 */
export function registerTaskKind(kind: string, factory: (config: TaskConfig) => Task): void {
  registry.register(kind, factory);
}

/** Rebuilds a task from its config (`task.toConfig()`). Throws UnknownKindError for an unknown kind. */
export function taskFromConfig(config: TaskConfig): Task {
  return registry.fromConfig(config);
}
