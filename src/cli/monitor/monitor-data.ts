import { join } from "node:path";
import { DriverLock } from "../../experiment/driver-lock.js";
import { Experiment } from "../../experiment/experiment.js";
import { listExperiments } from "../../experiment/experiment-index.js";
import { experimentState } from "../../experiment/experiment-record.js";
import { findExperimentDir, readExperimentRecord } from "../../experiment/experiment-store.js";
import type { JobStatus } from "../../experiment/status-report.js";
import type { ExperimentListing } from "../../workspace/index/index.js";
import type { Workspace } from "../../workspace/workspace.js";

/**
 * What the monitor shows, gathered the way `labrun experiments list` and `labrun experiment status` gather
 * it: the listing from the workspace index (kept up to date with the files), the jobs from
 * `Experiment.status`. Nothing here writes a job record; cancelling goes through `Experiment.cancel`.
 */

/** One experiment of the list, newest first. */
export interface ExperimentRow extends ExperimentListing {
  /** For an unfinished experiment: whether a live process drives it (false: `labrun experiment resume`). */
  readonly driven?: boolean;
}

/** The experiments of the workspace, newest first; `warn` hears when the index could not be used. */
export function readExperimentRows(workspace: Workspace, warn: (message: string) => void): ExperimentRow[] {
  const { experiments } = listExperiments(workspace, {}, { onWarning: warn });
  return experiments
    .reverse()
    .map((e) =>
      e.state === "RUNNING"
        ? { ...e, driven: new DriverLock(join(workspace.root, e.dir)).holder() !== undefined }
        : e,
    );
}

/** What the jobs screen says about its experiment besides the jobs. */
export interface ExperimentHeader {
  readonly id: string;
  readonly title: string;
  readonly host: string;
  readonly user: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
}

/** An experiment opened for watching: the library's `Experiment` and its record's header fields. */
export interface OpenedExperiment {
  readonly experiment: Experiment;
  readonly header: ExperimentHeader;
}

/**
 * Opens an experiment by id (or title: the latest with it), as `labrun experiment status` does: a wrong id
 * throws `UnknownExperimentError`, and an experiment that no process drives has what ended recorded first.
 */
export async function openExperiment(workspace: Workspace, idOrTitle: string): Promise<OpenedExperiment> {
  const experiment = await Experiment.fromId(idOrTitle, { baseDir: workspace.root, cleanMode: true });
  return { experiment, header: readHeader(experiment.dir ?? findExperimentDir(workspace, idOrTitle)) };
}

function readHeader(dir: string): ExperimentHeader {
  const record = readExperimentRecord(dir);
  if (!record) throw new Error(`${dir} holds no experiment.json`);
  return {
    id: record.id,
    title: record.title,
    host: record.host,
    user: record.user,
    createdAt: record.createdAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
  };
}

/** The jobs of an opened experiment, live: records on disk with what the executors report laid over them. */
export async function readJobs(opened: OpenedExperiment): Promise<JobStatus[]> {
  const jobs = await opened.experiment.status({ returnDict: true });
  return Object.values(jobs).sort((a, b) => a.index - b.index);
}

/** The experiment's state as `labrun experiment list` derives it from its jobs. */
export function stateOfJobs(jobs: readonly JobStatus[]): string {
  return experimentState(
    jobs.map((job) => job.state),
    true,
  );
}

/**
 * Cancels one job (and its dependents) or, without `job`, every unfinished job. A separate `Experiment`
 * instance does it, so the one being watched only ever reads.
 */
export async function cancelJobs(workspace: Workspace, experimentId: string, job?: string): Promise<void> {
  const experiment = await Experiment.fromId(experimentId, { baseDir: workspace.root, cleanMode: true });
  if (job === undefined) await experiment.cancelAll();
  else await experiment.cancel(job);
}
