import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { WorkspaceSource } from "../../server/dashboard/workspace-source.js";
import { startDashboard } from "../../server/dashboard/start-dashboard.js";
import { hostList } from "../allowed-hosts.js";

export interface UiOptions {
  readonly port?: string;
  readonly host?: string;
  readonly workspace?: string;
  readonly allowedHosts?: string;
}

/** `labrun ui`: serves the web dashboard over the local workspace until interrupted. */
export async function uiCommand(options: UiOptions): Promise<number> {
  const port = Number(options.port ?? 4500);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (0-65535), not "${options.port}".`);
  const source = new WorkspaceSource(options.workspace);
  const allowedHosts = options.allowedHosts === undefined ? undefined : hostList(options.allowedHosts);
  const server = await startDashboard(source, {
    port,
    host: options.host ?? "127.0.0.1",
    ...(allowedHosts ? { allowedHosts } : {}),
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

/** Registers `labrun ui` on the program (one line in main.ts). */
export function registerUiCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command("ui")
    .description("serve the web dashboard over the local workspace (experiments, jobs, runs, metrics)")
    .option("--port <port>", "port to listen on (0: any free port)", "4500")
    .option("--host <host>", "address to listen on (0.0.0.0 to reach it from other machines)", "127.0.0.1")
    .option(
      "--allowed-hosts <names>",
      "host names to answer to besides localhost, 127.0.0.1, [::1] and --host (comma-separated; * for any)",
    )
    .action(async (options: { port?: string; host?: string; allowedHosts?: string }, command: Command) => {
      const { workspace } = command.optsWithGlobals<{ workspace?: string }>();
      setExitCode(await uiCommand({ ...options, ...(workspace ? { workspace } : {}) }));
    });
}
