import { readdirSync, rmSync, statSync } from "node:fs";
import { z } from "zod";
import { subdirectories } from "../util/subdirectories.js";
import { join, relative } from "node:path";
import { jobRecordSchema } from "./job-record.js";
import type { JobRecord } from "./job-record.js";
import { readJsonFile } from "../util/atomic-file.js";
import type { Workspace } from "./workspace.js";
import { skipCorrupt, type OnRecordWarning } from "../util/record-warning.js";

/** A job directory of the workspace with its record. */
export interface JobEntry {
  readonly task: string;
  readonly identity: string;
  readonly dir: string;
  readonly record: JobRecord;
}

/** Every job directory under `jobs/` that holds a readable job.json; `onWarning` hears of the damaged ones. */
export function listJobEntries(workspace: Workspace, onWarning?: OnRecordWarning): JobEntry[] {
  const root = join(workspace.root, "jobs");
  const entries: JobEntry[] = [];
  for (const task of subdirectories(root)) {
    for (const identity of subdirectories(join(root, task))) {
      const dir = join(root, task, identity);
      const record = skipCorrupt(
        () => readJsonFile(join(dir, "job.json"), jobRecordSchema),
        undefined,
        onWarning,
      );
      if (record) entries.push({ task, identity, dir, record });
    }
  }
  return entries;
}

/**
 * Job directories (relative to the workspace) that some experiment lists; `*` when an experiment.json cannot
 * be read (`onWarning` hears which).
 */
export function referencedJobDirs(workspace: Workspace, onWarning?: OnRecordWarning): Set<string> {
  const referenced = new Set<string>();
  const experiments = join(workspace.root, "experiments");
  for (const title of subdirectories(experiments))
    for (const id of subdirectories(join(experiments, title))) {
      const file = join(experiments, title, id, "experiment.json");
      const record = skipCorrupt(() => readJsonFile(file, experimentJobsSchema), null, onWarning);
      // unreadable: its jobs count as referenced (never delete what we cannot account for)
      if (record === null) referenced.add("*");
      for (const job of record?.jobs ?? []) referenced.add(job.dir);
    }
  return referenced;
}

/**
 * Jobs no experiment references (what `labrun jobs clean` removes), with their size on disk. None while an
 * experiment.json cannot be read; a job whose job.json cannot be read is never among them.
 */
export function unreferencedJobs(
  workspace: Workspace,
  onWarning?: OnRecordWarning,
): (JobEntry & { readonly bytes: number })[] {
  const referenced = referencedJobDirs(workspace, onWarning);
  if (referenced.has("*")) return [];
  return listJobEntries(workspace, onWarning)
    .filter((job) => !referenced.has(relative(workspace.root, job.dir)))
    .filter((job) => job.record.state !== "SUBMITTED" && job.record.state !== "RUNNING")
    .map((job) => ({ ...job, bytes: sizeOf(job.dir) }));
}

export function removeJobDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const experimentJobsSchema = z.looseObject({ jobs: z.array(z.looseObject({ dir: z.string() })) });

function sizeOf(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
