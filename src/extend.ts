// `labrun/extend`: what a custom task, executor, tunnel or packager kind needs. Built-in kinds need none of
// it; a custom kind is registered in every process that reopens its jobs (docs/concepts.md).
export { registerTaskKind, taskFromConfig, builtinTaskKinds } from "./config/task-kinds.js";
export type { LaunchContext, LaunchSpec, Task, TaskChanges, TaskConfig } from "./config/task.js";
export { canonicalJson, sha256Hex } from "./config/canonical-json.js";
export {
  registerExecutorKind,
  executorFromConfig,
  builtinExecutorKinds,
} from "./executors/executor-kinds.js";
export type {
  Executor,
  ExecutorConfig,
  ExecutorJobState,
  ExecutorJobStatus,
  JobRef,
  JobSubmission,
  LogLine,
  LogOptions,
} from "./executors/executor.js";
export { registerTunnelKind, tunnelFromConfig, builtinTunnelKinds } from "./executors/tunnel/tunnel-kinds.js";
export type { ExecOptions, ExecResult, RemoteFile, Tunnel, TunnelConfig } from "./executors/tunnel/tunnel.js";
export {
  registerPackagerKind,
  packagerFromConfig,
  builtinPackagerKinds,
} from "./executors/packaging/packager-kinds.js";
export type { Packager, PackagerConfig } from "./executors/packaging/packager.js";
export { jobStates } from "./workspace/job-record.js";
export type { JobState } from "./workspace/job-record.js";
