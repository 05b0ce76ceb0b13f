import { join, resolve } from "node:path";
import { RunsRootSource, WorkspaceSource } from "../../server/dashboard/workspace-source.js";
import { Workspace } from "../../workspace/workspace.js";
import { startDashboard } from "../../server/dashboard/start-dashboard.js";

export interface UiOptions {
  readonly port: number;
  readonly host: string;
  readonly workspace?: string | undefined;
  /** A folder of runs (an ML-Dash root) to show instead of the workspace (default `$LABRUN_RUNS`). */
  readonly root?: string | undefined;
  /** Host names to answer to besides the loopback ones and `host`. */
  readonly allowedHosts?: readonly string[] | undefined;
}

/** `labrun ui`: serves the web dashboard over the local workspace until interrupted. */
export async function uiCommand(options: UiOptions): Promise<number> {
  const source = sourceFor(options);
  const server = await startDashboard(source, {
    port: options.port,
    host: options.host,
    ...(options.allowedHosts ? { allowedHosts: [...options.allowedHosts] } : {}),
  });
  console.log(`labrun dashboard for ${source.label}\n  ${server.url}\n(Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

/**
 * `--root`, else `$LABRUN_RUNS` (unless `--workspace` is given): that folder of runs alone; the workspace
 * (its experiments, jobs and runs) when neither is given or the root is the workspace's own `runs/`.
 */
function sourceFor(options: UiOptions): WorkspaceSource | RunsRootSource {
  const runs = process.env.LABRUN_RUNS;
  const root = options.root ?? (runs && !options.workspace ? runs : undefined);
  if (root === undefined) return new WorkspaceSource(options.workspace);
  const workspace = new Workspace(options.workspace);
  if (resolve(root) === join(workspace.root, "runs")) return new WorkspaceSource(options.workspace);
  return new RunsRootSource(root);
}
