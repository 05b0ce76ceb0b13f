// The user-facing API of `labrun`: define tasks, launch experiments, track runs, catch errors. Everything
// else lives under a subpath: `labrun/store` (databases and the HTTP store), `labrun/tracking` (the tracking
// internals), `labrun/plan` (the Python launch protocol), `labrun/extend` (custom task, executor, tunnel and
// packager kinds), `labrun/server`, `labrun/testing`. Nothing here loads a native driver (better-sqlite3, pg).

// Experiments (NeMo-Run's launcher).
export { Experiment } from "./experiment/experiment.js";
export type {
  AddOptions,
  DryRunJob,
  ExperimentConfig,
  ExperimentOptions,
  LogsOptions,
  RunOptions,
} from "./experiment/experiment.js";
export type { JobChange, TailedLine } from "./experiment/experiment-options.js";
export type { ExperimentResult } from "./experiment/run-results.js";
export type { ExperimentState } from "./experiment/experiment-record.js";
export type { ExperimentPlugin } from "./experiment/plugin.js";
export type { JobStatus } from "./experiment/status-report.js";
export type { LogLevel } from "./experiment/console-reporter.js";
export { listExperimentDirs, summarizeExperiment } from "./experiment/experiment-store.js";
export type { ExperimentSummary } from "./experiment/experiment-store.js";
export type { JobState } from "./workspace/job-record.js";
export { Workspace } from "./workspace/workspace.js";
export type { GitInfo } from "./workspace/provenance.js";
export type { OnRecordWarning, RecordWarning } from "./util/record-warning.js";

// Tasks.
export { defineTask, meta, TypedTask } from "./config/define-task.js";
export type {
  ResolvedParams,
  TaskContext,
  TaskDefinition,
  TaskDefinitionOptions,
} from "./config/define-task.js";
// The schema builder defineTask takes: labrun's own zod instance (define-task.ts inspects schemas with instanceof).
export { z } from "zod";
export { Script } from "./config/script.js";
export type { ScriptOptions } from "./config/script.js";
export { Partial } from "./config/partial.js";
export type { PartialOptions } from "./config/partial.js";
export { PythonPartial } from "./config/python/python-partial.js";
export type { PythonPartialOptions } from "./config/python/python-partial.js";
export { PythonTask } from "./config/python/python-task.js";
export type { PythonTaskOptions } from "./config/python/python-task.js";
export type { Task } from "./config/task.js";
export { grid, zip } from "./config/sweep.js";
export type { SweepPoint } from "./config/sweep.js";
export { Token } from "./scheduler/token.js";
export type { TokenNeed } from "./scheduler/token.js";

// Executors, with the tunnels and packagers of Slurm.
export type { Executor } from "./executors/executor.js";
export { LocalExecutor } from "./executors/local/local-executor.js";
export type { LocalExecutorOptions } from "./executors/local/local-executor.js";
export { DirectExecutor } from "./executors/direct/direct-executor.js";
export type { DirectExecutorOptions } from "./executors/direct/direct-executor.js";
export { SlurmExecutor } from "./executors/slurm/slurm-executor.js";
export type { SlurmExecutorOptions } from "./executors/slurm/slurm-executor.js";
export type { SlurmResources } from "./executors/slurm/sbatch-script.js";
export { LocalTunnel } from "./executors/tunnel/local-tunnel.js";
export type { LocalTunnelOptions } from "./executors/tunnel/local-tunnel.js";
export { SSHTunnel } from "./executors/tunnel/ssh-tunnel.js";
export type { SSHTunnelOptions } from "./executors/tunnel/ssh-tunnel.js";
export { GitArchivePackager } from "./executors/packaging/git-archive-packager.js";
export type { GitArchivePackagerOptions } from "./executors/packaging/git-archive-packager.js";
export { PatternPackager } from "./executors/packaging/pattern-packager.js";
export type { PatternPackagerOptions } from "./executors/packaging/pattern-packager.js";

// YAML experiments and the experiment helper (experimaestro's).
export { ConfigurationBase, DirtyGitAction } from "./config/yaml/configuration-base.js";
export { loadYamlConfig, LoadedConfig } from "./config/yaml/config-loader.js";
export type { LoadConfigOptions } from "./config/yaml/config-loader.js";
export type { ConfigurationSchema } from "./config/yaml/validate.js";
export type { ConfigLayer, ConfigPath, Origin as ConfigOrigin } from "./config/yaml/yaml-layer.js";
export { ExperimentHelper } from "./experiment/experiment-helper.js";
export type { ExperimentService } from "./experiment/experiment-helper.js";
export { runExperiment, showConfiguration } from "./experiment/run-experiment.js";
export type {
  ExperimentModule,
  RunExperimentOptions,
  RunExperimentResult,
} from "./experiment/run-experiment.js";
export { parseRunMode, runModes } from "./experiment/run-mode.js";
export type { RunMode } from "./experiment/run-mode.js";
export type { GeneratedJob, PlannedJobInfo } from "./experiment/planned-jobs.js";
export type { ExperimentInformations } from "./experiment/informations.js";
export { mockModules } from "./experiment/mock-modules/mock-modules.js";
export type { MockedModules, MockModulesOptions } from "./experiment/mock-modules/mock-modules.js";

// Services started beside an experiment.
export { Service, serviceStates } from "./experiment/services/service.js";
export type { PlainService, ServiceListener, ServiceState } from "./experiment/services/service.js";
export { WebService } from "./experiment/services/web-service.js";
export { JobFilesService } from "./experiment/services/job-files-service.js";
export type { JobFilesServiceOptions, JobFilesSource } from "./experiment/services/job-files-service.js";
export { readServicesRecord } from "./experiment/services/services-record.js";
export type { ServiceStatus } from "./experiment/services/services-record.js";
export { checkHost, checkOrigin, requestPolicy } from "./util/request-policy.js";
export type { RequestPolicy } from "./util/request-policy.js";

// Tracking (ML-Dash's Run): writing and reading runs.
export { Run } from "./tracking/run.js";
export type { LogOptions as RunLogOptions, RunInit } from "./tracking/run.js";
export { tracked } from "./tracking/tracked.js";
export { RUN } from "./tracking/run-context.js";
export { RunReader } from "./tracking/run-reader.js";
export type { MetricSummary, OpenOptions as RunOpenOptions, TrackEntry } from "./tracking/run-reader.js";
export { listRuns } from "./tracking/list-runs.js";
export type { ListRunsOptions, ListRunsResult } from "./tracking/list-runs.js";
export type { RunInfo } from "./tracking/run-info.js";
export type { ReportedStatus, RunError, RunStatus } from "./format/run-record.js";
export type { Logs, MetricFields, Metrics, MetricStream, Track, Tracks } from "./tracking/run-streams.js";
export type { FlatParams, NestedParams, Params, ParamsGetOptions } from "./tracking/params.js";
export type { FileRecord, RunFiles, SaveOptions } from "./tracking/run-files.js";
export type { MetricPoint, MetricReadOptions, MetricReadResult } from "./format/metric-read.js";
export type { LogReadOptions, LogReadResult, LogRecord } from "./tracking/log-read.js";
export type { RunLogLevel } from "./format/log-writer.js";
export type { StreamInfo } from "./format/metric-writer.js";
export type { JsonFields, JsonValue } from "./format/json-codec.js";
export type { RemoteOptions } from "./tracking/remote/remote-mode.js";
export type { RemoteStatus } from "./tracking/remote/remote-status.js";

// Errors: every class a caller can catch, with its stable code.
export * from "./errors.js";
