import { join } from "node:path";
import { RunNotFoundError, UsageError } from "../../errors.js";
import { listRuns } from "../../tracking/list-runs.js";
import type { ListRunsOptions } from "../../tracking/list-runs.js";
import { defaultRunsRoot, parsePrefix } from "../../format/names.js";
import { Run } from "../../tracking/run.js";
import { RunReader } from "../../tracking/run-reader.js";
import type { RunInfo } from "../../tracking/run-info.js";
import { Workspace } from "../../workspace/workspace.js";
import type { OnRecordWarning } from "../../util/record-warning.js";

/** Where the CLI looks for runs: the runs root, and the runs of launched jobs in the workspace. */
export function runRoots(options: { root?: string; workspace?: string }): string[] {
  const root = options.root ?? defaultRunsRoot();
  return [root, join(new Workspace(options.workspace).root, "jobs")];
}

/** The runs under every root, sorted by prefix; `onWarning` hears each run folder that could not be read. */
export function findRuns(
  options: Omit<ListRunsOptions, "root"> & { root?: string; workspace?: string },
  onWarning?: OnRecordWarning,
): RunInfo[] {
  const { root, workspace, ...filters } = options;
  return runRoots({ ...(root ? { root } : {}), ...(workspace ? { workspace } : {}) })
    .flatMap((dir) => {
      const { runs, warnings } = listRuns({ ...filters, root: dir });
      for (const warning of warnings) onWarning?.(warning);
      return runs;
    })
    .sort((a, b) => a.prefix.localeCompare(b.prefix));
}

/**
 * A run to read, by prefix: under the runs root, else among launched jobs' runs. A run whose experiment.json
 * is damaged is a CorruptRecordError when its folder is known (under the runs root); among jobs' runs its
 * prefix cannot be read, so `onWarning` hears of every such folder before RunNotFoundError.
 */
export function openRunForReading(
  prefix: string,
  options: { root?: string; workspace?: string },
  onWarning?: OnRecordWarning,
): RunReader {
  const { prefix: normal } = parsePrefix(prefix);
  try {
    return RunReader.open(normal, options.root ? { root: options.root } : {});
  } catch (error) {
    if (!(error instanceof RunNotFoundError)) throw error;
  }
  const match = findRuns({ ...options, prefix: normal }, onWarning).find((run) => run.prefix === normal);
  if (!match) throw new RunNotFoundError(normal);
  return RunReader.openDir(match.dir);
}

/**
 * The run `labrun log` appends to: `--prefix` (under the runs root), else the launched job's own run
 * (LABRUN_RUN_DIR). It attaches: it adds data and leaves the run's status to its owner.
 */
export function openRunForLogging(options: { prefix?: string; root?: string }): Run {
  if (options.prefix)
    return new Run({ prefix: options.prefix, attach: true, ...(options.root ? { root: options.root } : {}) });
  const dir = process.env.LABRUN_RUN_DIR;
  if (!dir)
    throw new UsageError(
      "Which run? Pass --prefix owner/project/name, or call `labrun log` from a job labrun launched (it sets LABRUN_RUN_DIR).",
    );
  const prefix =
    process.env.LABRUN_RUN_PREFIX || `${process.env.LABRUN_USER || process.env.USER || "user"}/jobs/run`;
  return new Run({ prefix, dir, attach: true });
}
