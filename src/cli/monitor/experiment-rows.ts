import { join } from "node:path";
import { DriverLock } from "../../experiment/driver-lock.js";
import { listExperiments } from "../../experiment/experiment-index.js";
import type { ExperimentListing } from "../../workspace/index/index.js";
import type { Workspace } from "../../workspace/workspace.js";

/** One experiment of the list. */
export interface ExperimentRow extends ExperimentListing {
  /** For an unfinished experiment: whether a live process drives it (false: `labrun experiment resume`). */
  readonly driven?: boolean;
}

/**
 * The experiments of the workspace, newest first, as `labrun experiments list` reads them: from the workspace
 * index, brought up to date with the files first. `warn` hears of each damaged record left out (its file and
 * problem) and of an index that was rebuilt or could not be used.
 */
export function readExperimentRows(workspace: Workspace, warn: (message: string) => void): ExperimentRow[] {
  const { experiments } = listExperiments(
    workspace,
    {},
    { onWarning: ({ file, problem }) => warn(`${file}: ${problem}`) },
  );
  return experiments
    .reverse()
    .map((e) =>
      e.state === "RUNNING"
        ? { ...e, driven: new DriverLock(join(workspace.root, e.dir)).holder() !== undefined }
        : e,
    );
}
