import { subdirectories } from "../util/subdirectories.js";
import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import { canonicalJson } from "../config/canonical-json.js";
import { CorruptRecordError, UnknownExperimentError } from "../errors.js";
import type { Executor, ExecutorConfig } from "../executors/executor.js";
import { executorFromConfig } from "../executors/executor-kinds.js";
import { Job } from "../scheduler/job.js";
import { jobRecordSchema } from "../workspace/job-record.js";
import { readJsonFile, writeJsonAtomic } from "../util/atomic-file.js";
import type { Workspace } from "../workspace/workspace.js";
import { experimentRecordSchema, experimentState } from "./experiment-record.js";
import type { ExperimentRecord, ExperimentState } from "./experiment-record.js";
import { DriverLock } from "./driver-lock.js";
import {
  recordWarningOf,
  skipCorrupt,
  type OnRecordWarning,
  type RecordWarning,
} from "../util/record-warning.js";

export const experimentFile = "experiment.json";

export function saveExperimentRecord(dir: string, record: ExperimentRecord): void {
  writeJsonAtomic(join(dir, experimentFile), record);
}

export function readExperimentRecord(dir: string): ExperimentRecord | undefined {
  return readJsonFile(join(dir, experimentFile), experimentRecordSchema);
}

/** Directory of the experiment with this id, or of the latest one with this title. */
export function findExperimentDir(workspace: Workspace, idOrTitle: string): string {
  const titles = subdirectories(workspace.experimentsDir);
  for (const title of titles) {
    const dir = join(workspace.experimentsDir, title, idOrTitle);
    if (existsSync(join(dir, experimentFile))) return dir;
  }
  const warnings: RecordWarning[] = [];
  const latest = listExperimentDirs(workspace, idOrTitle, (w) => warnings.push(w)).at(-1);
  if (latest) return latest;
  // Asked for by title, and the only experiments of that title are damaged: say so, not "not found".
  const damaged = warnings.filter((w) => w.file.startsWith(join(workspace.experimentsDir, idOrTitle) + sep));
  const last = damaged.at(-1);
  if (last) throw new CorruptRecordError(last.file, last.problem);
  throw new UnknownExperimentError(idOrTitle, workspace.root);
}

/**
 * Experiment directories, oldest first; only those of `title` when given. One whose experiment.json cannot
 * be read is left out, and `onWarning` hears of it.
 */
export function listExperimentDirs(
  workspace: Workspace,
  title?: string,
  onWarning?: OnRecordWarning,
): string[] {
  const dirs: { dir: string; createdAt: string }[] = [];
  for (const titleDir of subdirectories(workspace.experimentsDir)) {
    for (const id of subdirectories(join(workspace.experimentsDir, titleDir))) {
      const dir = join(workspace.experimentsDir, titleDir, id);
      const record = skipCorrupt(() => readExperimentRecord(dir), undefined, onWarning);
      if (!record || (title !== undefined && record.title !== title)) continue;
      dirs.push({ dir, createdAt: record.createdAt });
    }
  }
  return dirs
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.dir.localeCompare(b.dir))
    .map((d) => d.dir);
}

/** A job of an experiment whose job.json cannot be read (or is missing), left out of a read-only view. */
export interface UnreadableJob extends RecordWarning {
  readonly name: string;
  readonly index: number;
}

/**
 * Jobs of a launched experiment, with one executor instance per distinct executor config. A job whose
 * job.json cannot be read throws `CorruptRecordError`, unless `onUnreadable` is given: then it is left out
 * and named there (for views that only read).
 */
export function loadJobs(
  workspace: Workspace,
  record: ExperimentRecord,
  onUnreadable?: (job: UnreadableJob) => void,
): Job[] {
  const executors = executorCache();
  return record.jobs.flatMap((entry) => {
    try {
      return [loadJob(workspace, record, entry, executors)];
    } catch (error) {
      if (!onUnreadable) throw error;
      onUnreadable({ ...recordWarningOf(error), name: entry.name, index: entry.index });
      return [];
    }
  });
}

function loadJob(
  workspace: Workspace,
  record: ExperimentRecord,
  entry: ExperimentRecord["jobs"][number],
  executors: (config: ExecutorConfig) => Executor,
): Job {
  const dir = join(workspace.root, entry.dir);
  const job = Job.load(
    dir,
    executors,
    entry.dependencies
      ? {
          name: entry.name,
          index: entry.index,
          dependencies: entry.dependencies,
          ...(entry.group ? { group: entry.group } : {}),
        }
      : undefined,
  );
  if (!job) throw new CorruptRecordError(Job.fileIn(dir), `job ${entry.name} of ${record.id} has no record`);
  return job;
}

export function executorCache(): (config: ExecutorConfig) => Executor {
  const cache = new Map<string, Executor>();
  return (config) => {
    const key = canonicalJson(config);
    let executor = cache.get(key);
    if (!executor) cache.set(key, (executor = executorFromConfig(config)));
    return executor;
  };
}

export interface ExperimentSummary {
  readonly id: string;
  readonly title: string;
  readonly state: ExperimentState;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly host: string;
  readonly user: string;
  readonly dir: string;
  readonly jobs: Readonly<Record<string, number>> & { readonly total: number };
  /** For an unfinished experiment: whether a live process drives it (false means: resume it). */
  readonly driven?: boolean;
}

/**
 * One line per experiment from the records on disk (no executor is asked). A job whose job.json is missing
 * or cannot be read counts as PENDING (`onWarning` hears of a damaged one); an experiment.json that cannot
 * be read gives undefined (and a warning).
 */
export function summarizeExperiment(
  workspace: Workspace,
  dir: string,
  onWarning?: OnRecordWarning,
): ExperimentSummary | undefined {
  const record = skipCorrupt(() => readExperimentRecord(dir), undefined, onWarning);
  if (!record) return undefined;
  let unreadable = 0;
  const states = record.jobs.map(
    (entry) =>
      skipCorrupt(
        () => readJsonFile(join(workspace.root, entry.dir, "job.json"), jobRecordSchema),
        undefined,
        (warning) => {
          unreadable++;
          onWarning?.(warning);
        },
      )?.state ?? "PENDING",
  );
  const state = experimentState(states, record.launchedAt !== undefined);
  const counts: Record<string, number> = {};
  for (const state of states) counts[state] = (counts[state] ?? 0) + 1;
  return {
    id: record.id,
    title: record.title,
    state,
    // `driven: false` says "resume it", which an experiment with unreadable jobs refuses: not said then.
    ...(state === "RUNNING" && unreadable === 0
      ? { driven: new DriverLock(dir).holder() !== undefined }
      : {}),
    createdAt: record.createdAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    host: record.host,
    user: record.user,
    dir,
    jobs: { ...counts, total: states.length },
  };
}
