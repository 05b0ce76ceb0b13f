import { Experiment } from "../../experiment/experiment.js";
import { experimentState } from "../../experiment/experiment-record.js";
import { findExperimentDir, readExperimentRecord } from "../../experiment/experiment-store.js";
import type { JobStatus } from "../../experiment/status-report.js";
import type { Workspace } from "../../workspace/workspace.js";

/**
 * What the monitor shows of one experiment, gathered the way `labrun experiment status` gathers it (the list
 * of experiments: experiment-rows.ts). Nothing here writes a job record; cancelling goes through
 * `Experiment.cancel`.
 */

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
  /** Jobs left out because their job.json cannot be read, as `file: problem`. */
  readonly warnings: readonly string[];
}

/**
 * Opens an experiment by id (or title: the latest with it), as `labrun experiment status` does: a wrong id
 * throws `UnknownExperimentError`, an experiment that no process drives has what ended recorded first, and
 * jobs whose job.json cannot be read are left out and named in `warnings`.
 */
export async function openExperiment(workspace: Workspace, idOrTitle: string): Promise<OpenedExperiment> {
  const warnings: string[] = [];
  const experiment = await Experiment.fromId(idOrTitle, {
    baseDir: workspace.root,
    cleanMode: true,
    onUnreadableJob: ({ file, problem }) => warnings.push(`${file}: ${problem}`),
  });
  return {
    experiment,
    header: readHeader(experiment.dir ?? findExperimentDir(workspace, idOrTitle)),
    warnings,
  };
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
