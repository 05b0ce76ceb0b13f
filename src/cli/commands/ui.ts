import { WorkspaceSource } from "../../server/dashboard/workspace-source.js";
import { startDashboard } from "../../server/dashboard/start-dashboard.js";

export interface UiOptions {
  readonly port: number;
  readonly host: string;
  readonly workspace?: string | undefined;
  /** Host names to answer to besides the loopback ones and `host`. */
  readonly allowedHosts?: readonly string[] | undefined;
}

/** `labrun ui`: serves the web dashboard over the local workspace until interrupted. */
export async function uiCommand(options: UiOptions): Promise<number> {
  const source = new WorkspaceSource(options.workspace);
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
