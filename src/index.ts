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
export { Script } from "./config/script.js";
export type { ScriptOptions } from "./config/script.js";
export { Partial } from "./config/partial.js";
export type { PartialOptions } from "./config/partial.js";
export { PythonPartial } from "./config/python/python-partial.js";
export type { PythonPartialOptions } from "./config/python/python-partial.js";
export { PythonTask } from "./config/python/python-task.js";
export type { PythonTaskOptions } from "./config/python/python-task.js";
export { typedTaskIdentity } from "./config/python/python-task-identity.js";
export { parsePlan } from "./experiment/plan/parse-plan.js";
export { runPlan } from "./experiment/plan/run-plan.js";
export type { PlanOutcome, RunPlanOptions } from "./experiment/plan/run-plan.js";
export type { Plan } from "./experiment/plan/plan-schema.js";
export { registerTaskKind, taskFromConfig } from "./config/task-kinds.js";
export type { LaunchContext, LaunchSpec, Task, TaskChanges, TaskConfig } from "./config/task.js";
export { canonicalJson, sha256Hex } from "./config/canonical-json.js";
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
export { registerTunnelKind, tunnelFromConfig } from "./executors/tunnel/tunnel-kinds.js";
export type { ExecOptions, ExecResult, RemoteFile, Tunnel, TunnelConfig } from "./executors/tunnel/tunnel.js";
export { GitArchivePackager } from "./executors/packaging/git-archive-packager.js";
export type { GitArchivePackagerOptions } from "./executors/packaging/git-archive-packager.js";
export { PatternPackager } from "./executors/packaging/pattern-packager.js";
export type { PatternPackagerOptions } from "./executors/packaging/pattern-packager.js";
export { packagerFromConfig, registerPackagerKind } from "./executors/packaging/packager-kinds.js";
export type { Packager, PackagerConfig } from "./executors/packaging/packager.js";
export { executorFromConfig, registerExecutorKind } from "./executors/executor-kinds.js";
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
export { jobStates } from "./workspace/job-record.js";
export type { JobState } from "./workspace/job-record.js";
export { Workspace } from "./workspace/workspace.js";
export * from "./errors.js";
export { Token } from "./scheduler/token.js";
export type { TokenNeed } from "./scheduler/token.js";
export { grid, zip } from "./config/sweep.js";
export type { SweepPoint } from "./config/sweep.js";
export {
  Run,
  tracked,
  RUN,
  RunContext,
  RunReader,
  MetricReader,
  listRuns,
  runStatuses,
  MetricStream,
  Logs,
  Track,
  SummaryBuffer,
  summaryAggregations,
  Params,
  flattenParams,
  unflattenParams,
  RunFiles,
  runLogLevels,
  defaultRunsRoot,
  parsePrefix,
  runDirFor,
} from "./tracking/index.js";
export type {
  RunInit,
  LogOptions as RunLogOptions,
  MetricSummary,
  OpenOptions as RunOpenOptions,
  TrackEntry,
  ListRunsOptions,
  ListRunsResult,
  RunInfo,
  ReportedStatus,
  RunError,
  RunStatus,
  MetricFields,
  Metrics,
  Tracks,
  SummaryAggregation,
  FlatParams,
  NestedParams,
  ParamsGetOptions,
  FileRecord,
  SaveOptions,
  MetricPoint,
  MetricReadOptions,
  MetricReadResult,
  LogReadOptions,
  LogReadResult,
  LogRecord,
  RunLogLevel,
  ParsedPrefix,
  JsonFields,
  JsonValue,
  StreamInfo,
} from "./tracking/index.js";
export { ConfigurationBase, DirtyGitAction } from "./config/yaml/configuration-base.js";
export { loadYamlConfig, LoadedConfig } from "./config/yaml/config-loader.js";
export type { LoadConfigOptions } from "./config/yaml/config-loader.js";
export type { ConfigurationSchema } from "./config/yaml/validate.js";
export type { ConfigLayer, ConfigPath, Origin as ConfigOrigin } from "./config/yaml/yaml-layer.js";
export { ExperimentHelper } from "./experiment/experiment-helper.js";
export type { ExperimentService } from "./experiment/experiment-helper.js";
export { Service, serviceStates } from "./experiment/services/service.js";
export type { PlainService, ServiceListener, ServiceState } from "./experiment/services/service.js";
export { WebService } from "./experiment/services/web-service.js";
export { JobFilesService } from "./experiment/services/job-files-service.js";
export { checkHost, checkOrigin, requestPolicy } from "./util/request-policy.js";
export type { RequestPolicy } from "./util/request-policy.js";
export type { JobFilesServiceOptions, JobFilesSource } from "./experiment/services/job-files-service.js";
export { readServicesRecord } from "./experiment/services/services-record.js";
export type { ServiceStatus } from "./experiment/services/services-record.js";
export { mockModules } from "./experiment/mock-modules/mock-modules.js";
export type { MockedModules, MockModulesOptions } from "./experiment/mock-modules/mock-modules.js";
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
export type { OnRecordWarning, RecordWarning } from "./util/record-warning.js";
export type { GitInfo } from "./workspace/provenance.js";
export { defineTask, meta, TypedTask } from "./config/define-task.js";
export type {
  ResolvedParams,
  TaskContext,
  TaskDefinition,
  TaskDefinitionOptions,
} from "./config/define-task.js";
export { z } from "zod";
// Remote mode (team server): the HTTP store and the run's remote status.
export { HttpStore } from "./store/http/http-store.js";
export type { HttpStoreOptions, UploadOptions } from "./store/http/http-store.js";
export type { RemoteOptions } from "./tracking/remote/remote-mode.js";
export type { RemoteStatus } from "./tracking/remote/remote-status.js";
// Storage backends (team server database): one URI picks the store.
export {
  openStore,
  openServerStore,
  registerStoreScheme,
  SqliteStore,
  ValidatingStore,
  ValidatingServerStore,
  storeLimits,
} from "./store/index.js";
export type {
  Store,
  ServerStore,
  AuthStore,
  StoreCapabilities,
  RunUpsert,
  RunPatch,
  StoredRun,
  RunQuery,
  RunPage,
  RunWithLatest,
  RunBatch,
  BatchResult,
  StatusChange,
  MetricAppend,
  MetricPoint as StoreMetricPoint,
  MetricStreamSummary,
  MetricRange,
  MetricSeries,
  NewLog,
  StoredLog,
  LogQuery,
  NewFile,
  StoredFile,
  NewToken,
  TokenInfo,
  CreatedToken,
  OpenStoreOptions,
  StoreOpener,
} from "./store/index.js";
