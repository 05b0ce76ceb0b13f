import type { Command } from "commander";

/**
 * Adds `labrun monitor [<experiment-id>]` to the program. The monitor (and ink, React) is loaded only when
 * the command runs. `setExitCode` hands the exit code back to main.
 */
export function registerMonitorCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command("monitor")
    .description("watch experiments, their jobs and a job's output live in the terminal (keys: ? for help)")
    .argument("[experiment-id]", "open this experiment first (id, or title: the latest with it)")
    .action(async (id: string | undefined, _options: unknown, command: Command) => {
      const { workspace } = command.optsWithGlobals<{ workspace?: string }>();
      // Anything the monitor starts sees the same workspace, as with every other command.
      if (workspace) process.env.LABRUN_HOME = workspace;
      const { runMonitor } = await import("../monitor/run-monitor.js");
      const code = await runMonitor({
        ...(workspace ? { workspace } : {}),
        ...(id ? { experiment: id } : {}),
      });
      setExitCode(code);
      // The screen is restored; a handle left open by a follower must not keep the terminal waiting.
      setTimeout(() => process.exit(code), 500).unref();
    });
}
