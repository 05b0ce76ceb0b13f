import type { Task } from "../config/task.js";
import type { Executor } from "../executors/executor.js";

/**
 * Changes a task and its executor when the task is added (NeMo-Run's `run.Plugin`), e.g. to turn on a
 * profiler in the task and set the variable it reads in the executor. Tasks and executors are immutable:
 * `setup` returns the replacements (`task.with({ env, args })`, `executor.with({ env })`).
 *
 * @example
 * const debug: ExperimentPlugin = {
 *   name: "debug",
 *   setup: (task, executor) => ({ task: task.with({ args: ["--debug"] }), executor: executor.with({ env: { LOG: "debug" } }) }),
 * };
 */
export interface ExperimentPlugin {
  readonly name: string;
  setup?(task: Task, executor: Executor): { task?: Task; executor?: Executor } | void;
  /** Called once, in the process that ran the experiment attached, after all of its jobs have ended. */
  teardown?(result: { readonly id: string; readonly ok: boolean }): void | Promise<void>;
}
