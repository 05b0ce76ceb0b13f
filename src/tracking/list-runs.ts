import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { recordWarningOf, type RecordWarning } from "../util/record-warning.js";
import { defaultRunsRoot } from "../format/names.js";
import { toRunInfo, type RunInfo } from "./run-info.js";
import { readRunRecord, type ReportedStatus } from "../format/run-record.js";

export interface ListRunsOptions {
  /** Folder to search; default `$LABRUN_RUNS`, else `<$LABRUN_HOME or ~/.labrun>/runs`. */
  readonly root?: string;
  /** Keep runs whose prefix is this one or lies under it (`alice/vision` keeps `alice/vision/resnet`). */
  readonly prefix?: string;
  /** Keep runs with this tag. */
  readonly tag?: string;
  /** Keep runs with this (derived) status. */
  readonly status?: ReportedStatus;
}

export interface ListRunsResult {
  readonly runs: RunInfo[];
  /** Folders whose experiment.json could not be read, with the reason. */
  readonly unreadable: { readonly dir: string; readonly problem: string }[];
  /** The same, as the warnings listings print: the file and its problem. */
  readonly warnings: RecordWarning[];
}

// A run's own data folders hold no runs.
const runDataFolders = new Set(["logs", "metrics", "files", "tracks"]);

/**
 * Every run under a root (folders holding an experiment.json, at any depth), sorted by prefix, with
 * filters for the CLI's `labrun runs list`.
 */
export function listRuns(options: ListRunsOptions = {}): ListRunsResult {
  const root = resolve(options.root ?? defaultRunsRoot());
  const runs: RunInfo[] = [];
  const unreadable: { dir: string; problem: string }[] = [];
  const warnings: RecordWarning[] = [];
  const now = Date.now();
  const walk = (dir: string, isRun: boolean) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((entry) => entry.isFile() && entry.name === "experiment.json")) {
      try {
        const record = readRunRecord(dir);
        if (record) runs.push(toRunInfo(dir, record, now));
      } catch (error) {
        const warning = recordWarningOf(error);
        warnings.push(warning);
        unreadable.push({ dir, problem: (error as Error).message });
      }
      isRun = true;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      if (isRun && runDataFolders.has(entry.name)) continue;
      walk(join(dir, entry.name), false);
    }
  };
  walk(root, false);
  const prefix = options.prefix?.replace(/^\/+|\/+$/g, "");
  return {
    runs: runs
      .filter((run) => !prefix || run.prefix === prefix || run.prefix.startsWith(`${prefix}/`))
      .filter((run) => options.tag === undefined || run.tags.includes(options.tag))
      .filter((run) => options.status === undefined || run.status === options.status)
      .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0)),
    unreadable,
    warnings,
  };
}
