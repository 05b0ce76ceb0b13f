import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { safeSegment } from "../util/safe-segment.js";

/**
 * The on-disk layout of a labrun workspace. The files are the truth; everything else is derived from them.
 *
 * ```
 * <root>/experiments/<title>/<id>/experiment.json
 * <root>/jobs/<task>/<identity>/{job.json, launch.sh, started, exit_code, stdout.log, stderr.log, run/}
 * ```
 */
export class Workspace {
  readonly root: string;

  constructor(root?: string) {
    this.root = resolve(root ?? Workspace.defaultRoot());
    Object.freeze(this);
  }

  /** `$LABRUN_HOME`, else `~/.labrun`. */
  static defaultRoot(): string {
    const fromEnv = process.env.LABRUN_HOME;
    return fromEnv && fromEnv.length > 0 ? fromEnv : join(homedir(), ".labrun");
  }

  get experimentsDir(): string {
    return join(this.root, "experiments");
  }

  experimentDir(title: string, id: string): string {
    return join(this.experimentsDir, safeSegment(title), id);
  }

  jobDir(taskName: string, identity: string): string {
    return join(this.root, "jobs", safeSegment(taskName), identity);
  }
}
