import { subdirectories } from "../util/subdirectories.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson } from "../config/canonical-json.js";
import { CorruptRecordError, UnknownExperimentError } from "../errors.js";
import type { Executor, ExecutorConfig } from "../executors/executor.js";
import { executorFromConfig } from "../executors/executor.js";
import { Job } from "../scheduler/job.js";
import { jobRecordSchema } from "../scheduler/job-record.js";
import { readJsonFile, writeJsonAtomic } from "../workspace/atomic-file.js";
import type { Workspace } from "../workspace/workspace.js";
import { experimentRecordSchema, experimentState } from "./experiment-record.js";
import type { ExperimentRecord, ExperimentState } from "./experiment-record.js";
import { DriverLock } from "./driver-lock.js";

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
  const latest = listExperimentDirs(workspace, idOrTitle).at(-1);
  if (latest) return latest;
  throw new UnknownExperimentError(idOrTitle, workspace.root);
}

/** Experiment directories, oldest first; only those of `title` when given. */
export function listExperimentDirs(workspace: Workspace, title?: string): string[] {
  const dirs: { dir: string; createdAt: string }[] = [];
  for (const titleDir of subdirectories(workspace.experimentsDir)) {
    for (const id of subdirectories(join(workspace.experimentsDir, titleDir))) {
      const dir = join(workspace.experimentsDir, titleDir, id);
      const record = tryRead(dir);
      if (!record || (title !== undefined && record.title !== title)) continue;
      dirs.push({ dir, createdAt: record.createdAt });
    }
  }
  return dirs
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.dir.localeCompare(b.dir))
    .map((d) => d.dir);
}

/** Jobs of a launched experiment, with one executor instance per distinct executor config. */
export function loadJobs(workspace: Workspace, record: ExperimentRecord): Job[] {
  const executors = executorCache();
  return record.jobs.map((entry) => {
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
    if (!job)
      throw new CorruptRecordError(Job.fileIn(dir), `job ${entry.name} of ${record.id} has no record`);
    return job;
  });
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

/** One line per experiment from the records on disk (no executor is asked). */
export function summarizeExperiment(workspace: Workspace, dir: string): ExperimentSummary | undefined {
  const record = tryRead(dir);
  if (!record) return undefined;
  const states = record.jobs.map(
    (entry) => readJsonFile(join(workspace.root, entry.dir, "job.json"), jobRecordSchema)?.state ?? "PENDING",
  );
  const state = experimentState(states, record.launchedAt !== undefined);
  const counts: Record<string, number> = {};
  for (const state of states) counts[state] = (counts[state] ?? 0) + 1;
  return {
    id: record.id,
    title: record.title,
    state,
    ...(state === "RUNNING" ? { driven: new DriverLock(dir).holder() !== undefined } : {}),
    createdAt: record.createdAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    host: record.host,
    user: record.user,
    dir,
    jobs: { ...counts, total: states.length },
  };
}

function tryRead(dir: string): ExperimentRecord | undefined {
  try {
    return readExperimentRecord(dir);
  } catch {
    return undefined; // a damaged record is reported when that experiment is opened, not in listings
  }
}
