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

/**
 * The dashboard over a folder of runs alone (`labrun ui --root DIR`, `$LABRUN_RUNS`): an ML-Dash root as
 * ML-Dash's local mode (`dash_root=DIR`) or labrun's SDK write it, read through a `FilesStore`; no experiments.
 * A run's id is its folder relative to the root.
 */
export class RunsRootSource extends StoreSource {
  readonly root: string;

  constructor(root: string) {
    const folder = resolve(root);
    super(new ValidatingStore(new FilesStore({ root: folder, base: folder })), {
      label: folder,
      files: workspaceFiles(folder),
    });
    this.root = folder;
  }

  override async close(): Promise<void> {
    await this.store.close();
  }
}
