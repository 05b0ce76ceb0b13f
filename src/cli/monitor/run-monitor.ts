import { writeSync } from "node:fs";
import { NotATerminalError } from "../../errors.js";
import { useColor } from "../../util/table.js";
import { Workspace } from "../../workspace/workspace.js";
import { openExperiment } from "./monitor-data.js";

export interface MonitorOptions {
  readonly workspace?: string;
  /** The experiment to open first (id, or title: the latest with it). */
  readonly experiment?: string;
}

// Alternate screen on and off: the monitor draws over the whole terminal and gives it back untouched.
const enterScreen = "\u001b[?1049h\u001b[H";
const leaveScreen = "\u001b[?25h\u001b[?1049l";

/**
 * `labrun monitor`: runs until the user quits, then restores the terminal. Resolves with the exit code (0
 * on q or Ctrl-C, 128 + signal when ended by SIGTERM or SIGHUP). Throws `NotATerminalError` when stdout or
 * stdin is not a terminal, and `UnknownExperimentError` for a wrong id, before anything is drawn.
 */
export async function runMonitor(options: MonitorOptions): Promise<number> {
  if (!process.stdout.isTTY) throw new NotATerminalError("stdout");
  if (!process.stdin.isTTY) throw new NotATerminalError("stdin");
  const workspace = new Workspace(options.workspace);
  const initial =
    options.experiment === undefined ? undefined : await openExperiment(workspace, options.experiment);
  const { startMonitor } = await importInkQuietly();

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      writeSync(1, leaveScreen);
    } catch {
      // the terminal is gone (SSH connection closed): nothing to restore
    }
  };
  process.stdout.write(enterScreen);
  process.once("exit", restore);
  const instance = startMonitor({
    workspace,
    ...(initial ? { initial } : {}),
    color: useColor(process.stdout),
  });
  let code = 0;
  const signals = { SIGTERM: 143, SIGHUP: 129 } as const;
  const handlers = Object.entries(signals).map(([signal, exitCode]) => {
    const handler = () => {
      code = exitCode;
      instance.unmount();
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  // The terminal went away (SSH connection closed): writing fails; stop quietly instead of crashing.
  const terminalGone = () => {
    code = signals.SIGHUP;
    instance.unmount();
  };
  process.stdout.on("error", terminalGone);
  // A resize can leave pieces of the old, larger frame behind: start the next frame on a clean screen.
  const clearOnResize = () => process.stdout.write("\u001b[2J\u001b[H");
  process.stdout.prependListener("resize", clearOnResize);
  try {
    await instance.waitUntilExit();
  } finally {
    process.stdout.off("resize", clearOnResize);
    process.stdout.off("error", terminalGone);
    for (const off of handlers) off();
    restore();
    process.off("exit", restore);
  }
  return code;
}

/**
 * Ink renders only its last frame when it believes it runs in CI (CI or CONTINUOUS_INTEGRATION set), which
 * would leave an interactive terminal blank; it decides when it is loaded, so it is loaded without them.
 */
async function importInkQuietly(): Promise<typeof import("./start-monitor.js")> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await import("./start-monitor.js");
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  }
}
