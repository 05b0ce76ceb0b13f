import { KindRegistry } from "../util/kind-registry.js";
import { DirectExecutor, type DirectExecutorOptions } from "./direct/direct-executor.js";
import type { Executor, ExecutorConfig } from "./executor.js";
import { LocalExecutor, type LocalExecutorOptions } from "./local/local-executor.js";
import { slurmExecutorFromConfig } from "./slurm/slurm-executor.js";

// Built-in executor kinds are resolved from this table, not registered by importing their modules: a
// process that reopens a job.json knows them whatever it imported first.
const registry = new KindRegistry<ExecutorConfig, Executor>("executor", {
  local: (config) => new LocalExecutor(config as LocalExecutorOptions),
  direct: (config) => new DirectExecutor(config as DirectExecutorOptions),
  slurm: slurmExecutorFromConfig,
});

/** The executor kinds every process knows (`local`, `direct`, `slurm`). */
export const builtinExecutorKinds: readonly string[] = registry.builtinKinds;

/**
 * Lets a custom executor kind be rebuilt from its config (when an experiment is reopened from disk). Call it
 * in every process that reopens such executors; built-in kinds need no call.
 */
export function registerExecutorKind(kind: string, factory: (config: ExecutorConfig) => Executor): void {
  registry.register(kind, factory);
}

/** Rebuilds an executor from its config (`executor.toConfig()`). Throws UnknownKindError for an unknown kind. */
export function executorFromConfig(config: ExecutorConfig): Executor {
  return registry.fromConfig(config);
}
