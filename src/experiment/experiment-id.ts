import { mkdirSync } from "node:fs";
import { ExperimentExistsError } from "../errors.js";
import { safeSegment } from "../util/safe-segment.js";
import type { Workspace } from "../workspace/workspace.js";

/** `<title>_<YYYYMMDD-HHMMSS>` in local time. */
export function experimentIdFor(title: string, at = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp =
    `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-` +
    `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `${safeSegment(title)}_${stamp}`;
}

/**
 * Creates the experiment's directory. Creating a directory is atomic, so two experiments started in the
 * same second in one workspace get `<id>` and `<id>-2`. An id the user chose is never changed.
 */
export function reserveExperimentDir(
  workspace: Workspace,
  title: string,
  id: string,
  options: { fixedId: boolean; existOk?: boolean },
): { id: string; dir: string; created: boolean } {
  mkdirSync(workspace.experimentDir(title, ""), { recursive: true });
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? id : `${id}-${n}`;
    const dir = workspace.experimentDir(title, candidate);
    try {
      mkdirSync(dir);
      return { id: candidate, dir, created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (options.fixedId) {
        if (options.existOk) return { id: candidate, dir, created: false };
        throw new ExperimentExistsError(dir);
      }
    }
  }
}
