import { existsSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { Experiment } from "../../experiment/experiment.js";
import { listExperiments } from "../../experiment/experiment-index.js";
import { experimentState } from "../../experiment/experiment-record.js";
import { findExperimentDir, readExperimentRecord } from "../../experiment/experiment-store.js";
import { readServicesRecord } from "../../experiment/services/services-record.js";
import type { JobStatus } from "../../experiment/status-report.js";
import { RecordWarnings } from "../../util/record-warning.js";
import { subdirectories } from "../../util/subdirectories.js";
import type { Workspace } from "../../workspace/workspace.js";
import type {
  ExperimentDetail,
  ExperimentRow,
  JobLogLine,
  JobLogOptions,
  WarningDto,
} from "./dashboard-source.js";

/** What the dashboard shows of experiments: their index, their jobs, their logs, and cancelling them. */
export interface ExperimentsView {
  listExperiments(): Promise<{ experiments: ExperimentRow[]; warnings: WarningDto[] }>;
  experiment(id: string): Promise<ExperimentDetail>;
  jobLog(experimentId: string, job: string, options: JobLogOptions): AsyncIterable<JobLogLine>;
  cancel(experimentId: string, job?: string): Promise<void>;
}

/** A job's run is always `jobs/<task>/<identity>/run`: the folders to look at, without walking every job folder. */
export function* jobRunDirs(root: string): Iterable<string> {
  for (const task of subdirectories(join(root, "jobs")))
    for (const identity of subdirectories(join(root, "jobs", task)))
      yield join(root, "jobs", task, identity, "run");
}

/**
 * The experiments of a local workspace: the list from its index (`index.sqlite`, kept up to date with the
 * files), jobs and cancellation through `Experiment`. A job's run is named by its id in the workspace's
 * `FilesStore` (its folder relative to the workspace).
 */
export class WorkspaceExperiments implements ExperimentsView {
  readonly #workspace: Workspace;

  constructor(workspace: Workspace) {
    this.#workspace = workspace;
  }

  async listExperiments(): Promise<{ experiments: ExperimentRow[]; warnings: WarningDto[] }> {
    const warnings = new RecordWarnings();
    const { experiments } = listExperiments(this.#workspace, {}, { onWarning: warnings.add });
    const rows = experiments.map((e) => ({
      id: e.id,
      title: e.title,
      host: e.host,
      user: e.user,
      git: e.git,
      createdAt: e.createdAt,
      ...(e.finishedAt ? { finishedAt: e.finishedAt } : {}),
      state: e.state,
      jobs: e.jobs,
    }));
    return { experiments: rows, warnings: warnings.list };
  }

  async experiment(id: string): Promise<ExperimentDetail> {
    const dir = findExperimentDir(this.#workspace, id);
    const record = readExperimentRecord(dir)!;
    const warnings = new RecordWarnings();
    const exp = Experiment.fromDir(dir, { cleanMode: true, onUnreadableJob: warnings.add });
    const jobs = Object.values(
      await exp.status({ returnDict: true, onWarning: warnings.add }),
    ) as JobStatus[];
    const counts: Record<string, number> = {};
    for (const job of jobs) counts[job.state] = (counts[job.state] ?? 0) + 1;
    return {
      id: record.id,
      title: record.title,
      host: record.host,
      user: record.user,
      git: record.git
        ? {
            commit: record.git.commit,
            dirty: record.git.dirty,
            ...(record.git.branch ? { branch: record.git.branch } : {}),
          }
        : null,
      createdAt: record.createdAt,
      ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
      state: experimentState(
        jobs.map((job) => job.state),
        record.launchedAt !== undefined,
      ),
      jobs: { ...counts, total: jobs.length },
      dir,
      jobList: jobs.map((job) => {
        const runDir = join(job.directory, "run");
        return {
          index: job.index,
          name: job.name,
          task: job.task,
          identity: basename(job.directory),
          executor: job.executor,
          state: job.state,
          ...(job.reason ? { reason: job.reason } : {}),
          ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
          attempt: job.attempt,
          retries: job.retries,
          dependencies: job.dependencies,
          ...(job.metrics ? { metrics: job.metrics } : {}),
          ...(job.startedAt ? { startedAt: job.startedAt } : {}),
          ...(job.endedAt ? { endedAt: job.endedAt } : {}),
          ...(existsSync(join(runDir, "experiment.json"))
            ? { runId: relative(this.#workspace.root, runDir).split(sep).join("/") }
            : {}),
        };
      }),
      services: readServicesRecord(dir, warnings.add).map((s) => ({
        id: s.id,
        description: s.description,
        state: s.state,
        ...(s.url ? { url: s.url } : {}),
      })),
      warnings: warnings.list,
    };
  }

  async *jobLog(experimentId: string, job: string, options: JobLogOptions): AsyncIterable<JobLogLine> {
    // The other jobs' logs stay readable when one job's record is damaged (asking for that one is an error).
    const exp = Experiment.fromDir(findExperimentDir(this.#workspace, experimentId), {
      cleanMode: true,
      onUnreadableJob: () => undefined,
    });
    for await (const { stream, line } of exp.logStream(job, {
      follow: options.follow,
      ...(options.regex ? { regex: options.regex } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }))
      yield { stream, line };
  }

  async cancel(experimentId: string, job?: string): Promise<void> {
    const exp = await Experiment.fromId(experimentId, { baseDir: this.#workspace.root, cleanMode: true });
    if (job === undefined) await exp.cancelAll();
    else await exp.cancel(job);
  }
}
