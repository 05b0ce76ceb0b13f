import type { DirtyGitAction } from "../config/yaml/configuration-base.js";
import { DirtyGitError } from "../errors.js";
import type { GitInfo } from "../workspace/provenance.js";

/**
 * Applies `dirty_git`: `error` throws a `DirtyGitError` when the repository is dirty (only a warning when
 * nothing will run: DRY_RUN and GENERATE), `warn` warns, `ignore` says nothing.
 */
export function checkDirtyGit(
  git: GitInfo | null,
  action: DirtyGitAction,
  context: { readonly where: string; readonly runs: boolean; readonly warn: (message: string) => void },
): void {
  if (!git?.dirty || action === "ignore") return;
  if (action === "error" && context.runs) throw new DirtyGitError(git.root, context.where);
  context.warn(
    `The git repository ${git.root} has uncommitted changes; the experiment records commit ${git.commit.slice(0, 12)} ` +
      `with dirty: true${action === "error" ? " (dirty_git: error stops a NORMAL run)" : ""}.`,
  );
}
