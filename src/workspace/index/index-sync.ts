import { basename, sep } from "node:path";
import { fileStamp, missingStamp } from "./file-stamp.js";
import { isFinalJobState } from "./index-records.js";
import type { IndexedExperiment, IndexedJob } from "./index-records.js";
import type { WorkspaceIndex } from "./workspace-index.js";
import { subdirectories } from "../../util/subdirectories.js";
import { skipCorrupt, type OnRecordWarning } from "../../util/record-warning.js";

/** The files of the workspace layout the index is built from. */
const experimentFile = "experiment.json";
const jobFile = "job.json";

/** What the index keeps of an experiment.json. */
export interface ExperimentFileContent extends Omit<IndexedExperiment, "dir" | "stamp" | "jobs"> {
  readonly jobs: readonly {
    readonly index: number;
    readonly name: string;
    readonly task: string;
    readonly dir: string;
  }[];
}

/** What the index keeps of a job.json. */
export type JobFileContent = Pick<
  IndexedJob,
  "state" | "exitCode" | "attempt" | "reason" | "createdAt" | "submittedAt" | "startedAt" | "endedAt"
>;

/**
 * Reads the records the index is built from. The experiment layer owns their schemas; either method
 * returns undefined for a missing file and throws `CorruptRecordError` for one that cannot be read (the sync
 * skips that record and names the file to its `onWarning`).
 */
export interface IndexReader {
  /** experiment.json in this (absolute) experiment directory. */
  experiment(dir: string): ExperimentFileContent | undefined;
  /** job.json in this (absolute) job directory. */
  job(dir: string): JobFileContent | undefined;
}

export interface SyncReport {
  /** Experiments in the index afterwards, and their jobs. */
  readonly experiments: number;
  readonly jobs: number;
  /** Experiments indexed for the first time, read again (their files changed), and left as they were. */
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Experiments whose folders are gone. */
  readonly removed: number;
  /** Experiments left out because their experiment.json cannot be read (each one named to `onWarning`). */
  readonly unreadable: number;
  /** experiment.json and job.json files read. */
  readonly filesRead: number;
}

/**
 * Brings the index up to date with the files. Every experiment.json is stat'ed; an experiment is read again
 * when its stamp changed, and an unfinished one also when one of its job.json files changed (only the
 * changed job files are read). Experiments whose folders are gone are forgotten. With `full`, everything is
 * read again and the index replaced (`labrun experiments resync`).
 *
 * A finished experiment's job files are not looked at: they change only when another experiment runs the
 * same job again, and that experiment's update carries the new state to every experiment sharing the job.
 */
export function syncIndex(
  index: WorkspaceIndex,
  root: string,
  reader: IndexReader,
  options: { readonly full?: boolean; readonly onWarning?: OnRecordWarning } = {},
): SyncReport {
  const full = options.full ?? false;
  const warn = options.onWarning;
  const known = index.stamps();
  const unfinished = full ? new Map<string, IndexedJob[]>() : index.unfinishedJobs();
  const counter = { filesRead: 0, warn };
  const unreadable: string[] = [];
  const changed: IndexedExperiment[] = [];
  const changedJobs: { dir: string; jobs: IndexedJob[] }[] = [];
  const seen = new Set<string>();
  let added = 0;
  let unchanged = 0;
  let jobCount = 0;
  for (const dir of experimentDirs(root)) {
    const stamp = fileStamp(under(root, dir, experimentFile));
    if (stamp === missingStamp) continue; // reserved, not launched yet
    const previous = known.get(dir);
    if (!full && previous?.stamp === stamp) {
      seen.add(dir);
      const jobs = isFinalJobState(previous.state) ? undefined : unfinished.get(dir);
      const updates = jobs ? readChangedJobs(root, jobs, reader, counter) : [];
      if (updates.length > 0) changedJobs.push({ dir, jobs: updates });
      else unchanged++;
      continue;
    }
    const stored = full || !previous ? [] : index.jobs(dir);
    const experiment = readExperiment(root, dir, stamp, reader, counter, stored);
    if (experiment === null) unreadable.push(dir);
    if (!experiment) continue;
    seen.add(dir);
    changed.push(experiment);
    jobCount += experiment.jobs.length;
    if (!previous) added++;
  }
  const gone = [...known.keys()].filter((dir) => !seen.has(dir) && !unreadable.includes(dir));
  index.batch(() => {
    // A first build reads every job file: no row of another experiment can hold an older copy of a job.
    if (full || known.size === 0) index.replaceAll(changed);
    else {
      // A damaged experiment.json is not listed from an older copy: it is read again (and named) each time.
      index.forgetExperiments([...gone, ...unreadable.filter((dir) => known.has(dir))]);
      index.recordExperiments(changed);
      for (const { dir, jobs } of changedJobs) index.recordJobs(dir, jobs);
    }
  });
  const total = full ? { experiments: changed.length, jobs: jobCount } : index.size();
  return {
    ...total,
    added,
    updated: changed.length - added + changedJobs.length,
    unchanged,
    removed: gone.length,
    unreadable: unreadable.length,
    filesRead: counter.filesRead,
  };
}

/**
 * Brings one experiment's rows up to date (a driver's view of its own experiment): when experiment.json
 * changed (or the experiment is not indexed yet), all of it, reading the job files whose stamps changed;
 * otherwise only the jobs in `jobDirs` (relative; a driver knows which of its jobs moved), each read when its
 * stamp changed.
 */
export function syncExperiment(
  index: WorkspaceIndex,
  root: string,
  dir: string,
  reader: IndexReader,
  jobDirs?: readonly string[],
): void {
  const counter: Counter = { filesRead: 0 };
  const stamp = fileStamp(under(root, dir, experimentFile));
  if (stamp === missingStamp) return;
  if (index.stampOf(dir) !== stamp) {
    const experiment = readExperiment(root, dir, stamp, reader, counter, index.jobs(dir));
    if (experiment) index.recordExperiments([experiment]);
    return;
  }
  const candidates = jobDirs ? index.jobsAt(dir, jobDirs) : index.jobs(dir);
  index.recordJobs(dir, readChangedJobs(root, candidates, reader, counter));
}

/** Every launched experiment as its files say, without an index (when the index cannot be used). */
export function readWorkspace(
  root: string,
  reader: IndexReader,
  onWarning?: OnRecordWarning,
): IndexedExperiment[] {
  const counter: Counter = { filesRead: 0, warn: onWarning };
  const experiments: IndexedExperiment[] = [];
  for (const dir of experimentDirs(root)) {
    const stamp = fileStamp(under(root, dir, experimentFile));
    if (stamp === missingStamp) continue;
    const experiment = readExperiment(root, dir, stamp, reader, counter, []);
    if (experiment) experiments.push(experiment);
  }
  return experiments;
}

/** Paths from parts that are already clean (names read from a folder, paths written by labrun): cheaper than
 * `join`, which normalizes, for the tens of thousands of paths of a big workspace. */
function under(...parts: string[]): string {
  return parts.join(sep);
}

/** `experiments/<title>/<id>` folders, relative to the workspace root. */
function experimentDirs(root: string): string[] {
  const dirs: string[] = [];
  for (const title of subdirectories(under(root, "experiments")))
    for (const id of subdirectories(under(root, "experiments", title)))
      dirs.push(under("experiments", title, id));
  return dirs;
}

/** Files read, and who hears of the damaged ones. */
interface Counter {
  filesRead: number;
  readonly warn?: OnRecordWarning | undefined;
}

/** A job read from a damaged job.json keeps a stamp no file has, so that it is read (and named) again. */
const unreadableStamp = (stamp: string) => `${stamp}:unreadable`;

/**
 * Reads experiment.json, and the job files whose stamps differ from those of the `stored` rows; undefined
 * when the file is missing, null when it cannot be read.
 */
function readExperiment(
  root: string,
  dir: string,
  stamp: string,
  reader: IndexReader,
  counter: Counter,
  stored: readonly IndexedJob[],
): IndexedExperiment | undefined | null {
  const content = skipCorrupt(() => reader.experiment(under(root, dir)), null, counter.warn);
  counter.filesRead++;
  if (!content) return content;
  const before = new Map(stored.map((job) => [job.index, job]));
  const jobs = content.jobs.map((entry): IndexedJob => {
    const jobStamp = fileStamp(under(root, entry.dir, jobFile));
    const old = before.get(entry.index);
    const placement = {
      index: entry.index,
      name: entry.name,
      task: entry.task,
      identity: basename(entry.dir),
      dir: entry.dir,
    };
    if (old && old.dir === entry.dir && old.stamp === jobStamp) return { ...old, ...placement };
    return { ...placement, ...readJob(root, entry.dir, reader, counter, jobStamp) };
  });
  return { ...content, dir, stamp, jobs };
}

function readChangedJobs(
  root: string,
  jobs: readonly IndexedJob[],
  reader: IndexReader,
  counter: Counter,
): IndexedJob[] {
  const updates: IndexedJob[] = [];
  for (const job of jobs) {
    const stamp = fileStamp(under(root, job.dir, jobFile));
    if (stamp === job.stamp) continue;
    const { index, name, task, identity, dir } = job;
    updates.push({ index, name, task, identity, dir, ...readJob(root, dir, reader, counter, stamp) });
  }
  return updates;
}

function readJob(
  root: string,
  dir: string,
  reader: IndexReader,
  counter: Counter,
  stamp: string,
): JobFileContent & { readonly stamp: string } {
  counter.filesRead++;
  // A job whose record is missing (or damaged) shows as PENDING, as listings from the files show it.
  const content = skipCorrupt(() => reader.job(under(root, dir)), null, counter.warn);
  if (content === null) return { state: "PENDING", stamp: unreadableStamp(stamp) };
  return { ...(content ?? { state: "PENDING" }), stamp };
}
