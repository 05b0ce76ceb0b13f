import { createReadStream, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { FilesStore } from "../../store/files/files-store.js";
import { ValidatingStore } from "../../store/validating-store.js";
import { Workspace } from "../../workspace/workspace.js";
import { StoreSource, type FileBytes } from "./store-source.js";
import { WorkspaceExperiments, jobRunDirs } from "./workspace-experiments.js";

/** The bytes of files stored in a workspace's run folders, by their key (their path in the workspace). */
function workspaceFiles(root: string): FileBytes {
  return {
    async get(key) {
      const path = resolve(root, key);
      if (!path.startsWith(root + sep)) return undefined;
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat?.isFile()) return undefined;
      return { stream: createReadStream(path), size: stat.size };
    },
  };
}

/**
 * The dashboard over a local workspace (`labrun ui`): the one `StoreSource`, over the workspace's run
 * folders as a store (`FilesStore`: `<workspace>/runs` and the jobs' own `run/` folders) and its experiments
 * (`WorkspaceExperiments`). A run's id is its folder relative to the workspace.
 */
export class WorkspaceSource extends StoreSource {
  readonly workspace: Workspace;

  constructor(root?: string) {
    const workspace = new Workspace(root);
    const store = new FilesStore({
      root: join(workspace.root, "runs"),
      base: workspace.root,
      extraRuns: () => jobRunDirs(workspace.root),
    });
    super(new ValidatingStore(store), {
      label: workspace.root,
      experiments: new WorkspaceExperiments(workspace),
      files: workspaceFiles(workspace.root),
    });
    this.workspace = workspace;
  }

  override async close(): Promise<void> {
    await this.store.close();
  }
}
