import { resolve } from "node:path";
import type { RecordWarning } from "../util/record-warning.js";
import { RunFolders } from "../store/files/run-folders.js";
import { defaultRunsRoot } from "../format/names.js";
import { toRunInfo, type RunInfo } from "./run-info.js";
import type { ReportedStatus } from "../format/run-record.js";

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

/**
 * Every run under a root (folders holding an experiment.json, at any depth), sorted by prefix, with
 * filters for the CLI's `labrun runs list`.
 */
export function listRuns(options: ListRunsOptions = {}): ListRunsResult {
  const root = resolve(options.root ?? defaultRunsRoot());
  const unreadable: { dir: string; problem: string }[] = [];
  const warnings: RecordWarning[] = [];
  const now = Date.now();
  // The same walk as the run-folder store's (store/files/run-folders.ts).
  const found = new RunFolders(root, root, () => []).list((dir, warning, error) => {
    warnings.push(warning);
    unreadable.push({ dir, problem: error.message });
  });
  const runs = found.map(({ dir, record }) => toRunInfo(dir, record, now));
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
