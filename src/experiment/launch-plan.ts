import { delimiter, join, relative } from "node:path";
import { canonicalJson, sha256Hex } from "../config/canonical-json.js";
import type { Task } from "../config/task.js";
import { DirectExecutor } from "../executors/direct/direct-executor.js";
import type { Executor } from "../executors/executor.js";
import { checkDependencyGraph } from "../scheduler/dependency-graph.js";
import { Job } from "../scheduler/job.js";
import { currentProvenance } from "../workspace/provenance.js";
import { safeSegment } from "../util/safe-segment.js";
import type { Workspace } from "../workspace/workspace.js";
import type { ExperimentRecord } from "./experiment-record.js";
import { saveExperimentRecord } from "./experiment-store.js";
import type { ExperimentPlugin } from "./plugin.js";
import type { TokenNeed } from "../scheduler/token.js";
import { engineEnv } from "../util/engine-paths.js";
import { cliShimDir } from "./cli-shim.js";

/** A job added to an experiment that has not been launched yet. */
export interface PlannedJob {
  readonly name: string;
  readonly task: Task;
  readonly executor: Executor;
  readonly dependencies: readonly string[];
  readonly tailLogs: boolean;
  readonly group?: string;
  readonly plugins: readonly ExperimentPlugin[];
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly tokens?: readonly TokenNeed[];
  /** Run a reusable task again even when a COMPLETED job with its identity exists. */
  readonly force?: boolean;
}

export interface PlanOptions {
  readonly sequential?: boolean;
  readonly direct?: boolean;
  readonly detach?: boolean;
  readonly force?: boolean;
}

/** A launched job as it was planned (to launch it again, or describe it). */
export function plannedFromJob(job: Job): PlannedJob {
  return {
    name: job.name,
    task: job.task,
    executor: job.executor,
    dependencies: [...job.dependencies],
    tailLogs: false,
    plugins: [],
    ...(job.placement.group ? { group: job.placement.group } : {}),
    ...(job.record.retries ? { retries: job.record.retries } : {}),
    ...(job.record.tokens?.length ? { tokens: job.record.tokens } : {}),
    ...(job.record.retryDelayMs !== undefined ? { retryDelayMs: job.record.retryDelayMs } : {}),
  };
}

/** Dependencies with group ids expanded and `sequential` applied, checked for unknown ids and cycles. */
export function resolvePlan(
  planned: readonly PlannedJob[],
  groups: ReadonlyMap<string, readonly string[]>,
  options: PlanOptions,
): PlannedJob[] {
  const direct = options.direct ? new DirectExecutor() : undefined;
  const resolved = planned.map((job, index) => {
    const expanded = job.dependencies.flatMap((dep) => groups.get(dep) ?? [dep]);
    const previous = planned[index - 1];
    if (options.sequential && previous && !expanded.includes(previous.name)) expanded.push(previous.name);
    return { ...job, dependencies: [...new Set(expanded)], executor: direct ?? job.executor };
  });
  checkDependencyGraph(new Map(resolved.map((job) => [job.name, job.dependencies])));
  for (const job of resolved) job.task.validate();
  return resolved;
}

/** `jobs/<task>/<identity>/`; tasks that are not reusable get one per experiment and job name. */
export function jobDirFor(workspace: Workspace, job: PlannedJob, experimentId: string): string {
  const identity = job.task.reusable
    ? job.task.identity
    : sha256Hex(canonicalJson([experimentId, job.name, job.task.identity]));
  return workspace.jobDir(job.task.name, identity);
}

/** Writes every job.json (PENDING), then experiment.json, in the reserved experiment directory. */
export function writeLaunchRecords(
  workspace: Workspace,
  title: string,
  id: string,
  dir: string,
  planned: readonly PlannedJob[],
  options: PlanOptions,
): { record: ExperimentRecord; jobs: Job[] } {
  const now = new Date().toISOString();
  const jobs = planned.map((job, index) => {
    const dir = jobDirFor(workspace, job, id);
    const placement = {
      name: job.name,
      index,
      dependencies: [...job.dependencies],
      ...(job.group ? { group: job.group } : {}),
    };
    // A reusable task's directory is shared by every experiment that runs it: a COMPLETED job is reused,
    // one in progress elsewhere is watched (the scheduler claims it with job.lock); only failures start anew.
    if (job.task.reusable) {
      const existing = Job.load(dir, () => job.executor, placement);
      if (
        existing &&
        !(existing.isTerminal && existing.state !== "COMPLETED") &&
        !((job.force || options.force) && existing.isTerminal)
      )
        return {
          job: new Job(existing.record, dir, job.task, job.executor, placement),
          reused: existing.state === "COMPLETED",
        };
    }
    const spec = job.task.launchSpec({ jobDir: dir, jobName: job.name });
    const created = new Job(
      {
        version: 1,
        experimentId: id,
        name: job.name,
        index,
        ...(job.group ? { group: job.group } : {}),
        task: job.task.toConfig(),
        executor: job.executor.toConfig(),
        dependencies: [...job.dependencies],
        state: "PENDING",
        attempt: 0,
        ...(job.retries ? { retries: job.retries } : {}),
        ...(job.tokens?.length ? { tokens: job.tokens.map((need) => ({ ...need })) } : {}),
        ...(job.retryDelayMs !== undefined ? { retryDelayMs: job.retryDelayMs } : {}),
        launch: {
          argv: [...spec.argv],
          env: { ...spec.env },
          cwd: spec.cwd,
          files: spec.files.map((f) => ({ ...f })),
        },
        createdAt: now,
      },
      dir,
      job.task,
      job.executor,
      placement,
    );
    created.save();
    return { job: created, reused: false };
  });
  const record: ExperimentRecord = {
    version: 1,
    title,
    id,
    createdAt: now,
    launchedAt: now,
    ...currentProvenance(),
    mode: {
      detach: options.detach ?? false,
      sequential: options.sequential ?? false,
      direct: options.direct ?? false,
    },
    jobs: jobs.map(({ job, reused }, index) => ({
      index,
      name: job.name,
      task: job.task.name,
      dir: relative(workspace.root, job.dir),
      dependencies: [...job.dependencies],
      ...(job.placement.group ? { group: job.placement.group } : {}),
      ...(reused ? { reused } : {}),
    })),
  };
  saveExperimentRecord(dir, record);
  return { record, jobs: jobs.map(({ job }) => job) };
}

/** The tracking prefix of a launched job's run: `<user>/<experiment title>/<experiment id>/<job name>`. */
export function jobRunPrefix(user: string, title: string, experimentId: string, jobName: string): string {
  return [user, title, experimentId, jobName].map(safeSegment).join("/");
}

/** The variables that tell a job where it runs, and where its tracked run lives (`<job dir>/run`). */
export function labrunEnvFor(
  workspace: Workspace,
  experiment: { readonly id: string; readonly title: string; readonly dir: string; readonly user: string },
  job: Job,
): Record<string, string> {
  return {
    LABRUN_HOME: workspace.root,
    LABRUN_EXPERIMENT_ID: experiment.id,
    LABRUN_EXPERIMENT_DIR: experiment.dir,
    LABRUN_JOB_NAME: job.name,
    LABRUN_JOB_DIR: job.dir,
    LABRUN_JOB_ATTEMPT: String(job.record.attempt),
    LABRUN_RUN_DIR: join(job.dir, "run"),
    LABRUN_RUN_PREFIX: jobRunPrefix(experiment.user, experiment.title, experiment.id, job.name),
    ...engineEnv(),
    // Jobs find the labrun that launched them (`labrun log …`), unless they run where its files are not.
    ...(seesDriverFiles(job.executor)
      ? { PATH: [cliShimDir(workspace.root), process.env.PATH].filter(Boolean).join(delimiter) }
      : {}),
  };
}

function seesDriverFiles(executor: Executor): boolean {
  const tunnel = (executor as { tunnel?: { sharedFilesystem?: boolean } }).tunnel;
  return tunnel?.sharedFilesystem !== false;
}
