import { readdirSync, rmSync, statSync } from "node:fs";
import { z } from "zod";
import { subdirectories } from "../util/subdirectories.js";
import { join, relative } from "node:path";
import { jobRecordSchema } from "../scheduler/job-record.js";
import type { JobRecord } from "../scheduler/job-record.js";
import { readJsonFile } from "./atomic-file.js";
import type { Workspace } from "./workspace.js";

/** A job directory of the workspace with its record. */
export interface JobEntry {
  readonly task: string;
  readonly identity: string;
  readonly dir: string;
  readonly record: JobRecord;
}

/** Every job directory under `jobs/` that holds a readable job.json. */
export function listJobEntries(workspace: Workspace): JobEntry[] {
  const root = join(workspace.root, "jobs");
  const entries: JobEntry[] = [];
  for (const task of subdirectories(root)) {
    for (const identity of subdirectories(join(root, task))) {
      const dir = join(root, task, identity);
      try {
        const record = readJsonFile(join(dir, "job.json"), jobRecordSchema);
        if (record) entries.push({ task, identity, dir, record });
      } catch {
        // a damaged record is reported by `jobs show`, not in listings
      }
    }
  }
  return entries;
}

/** Job directories (relative to the workspace) that some experiment lists. */
export function referencedJobDirs(workspace: Workspace): Set<string> {
  const referenced = new Set<string>();
  const experiments = join(workspace.root, "experiments");
  for (const title of subdirectories(experiments))
    for (const id of subdirectories(join(experiments, title))) {
      const file = join(experiments, title, id, "experiment.json");
      try {
        const record = readJsonFile(file, experimentJobsSchema);
        for (const job of record?.jobs ?? []) referenced.add(job.dir);
      } catch {
        // unreadable: its jobs count as referenced below (never delete what we cannot account for)
        referenced.add("*");
      }
    }
  return referenced;
}

/** Jobs no experiment references (what `labrun jobs clean` removes), with their size on disk. */
export function unreferencedJobs(workspace: Workspace): (JobEntry & { readonly bytes: number })[] {
  const referenced = referencedJobDirs(workspace);
  if (referenced.has("*")) return [];
  return listJobEntries(workspace)
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
