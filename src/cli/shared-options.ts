import { UsageError } from "../errors.js";
import { hostList } from "./allowed-hosts.js";
import type { OptionSpec } from "./option-table.js";

/** The options every command takes (on the program, each group and each command), declared once. */
export const globalOptions = {
  workspace: { argument: "<dir>", description: "workspace directory (default: $LABRUN_HOME or ~/.labrun)" },
  json: { description: "machine-readable output" },
} as const satisfies Record<string, OptionSpec>;

/** A TCP port, 0 for any free one. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (0-65535), not "${text}".`);
  return port;
}

/** `--port` of a server command: one check, each command its default and words. */
export const portOption = <D extends string>(defaultPort: D, description: string) =>
  ({ argument: "<port>", default: defaultPort, description, parse: parsePort }) as const;

/** `--host` of a server command: loopback unless told otherwise. */
export const hostOption = (description: string) =>
  ({ argument: "<host>", default: "127.0.0.1", description }) as const;

/** `--allowed-hosts` of a server command, checked as a comma-separated list of names. */
export const allowedHostsOption = (description: string) =>
  ({ argument: "<names>", description, parse: hostList }) as const;

/** `--root` of the commands that read or write runs. */
export const runsRootOption = {
  argument: "<dir>",
  description: "folder of runs (default: $LABRUN_RUNS, else <workspace>/runs)",
} as const;

/** An option taking a positive number (`--max-body-mb 64`). */
export const positiveNumber =
  (flag: string) =>
  (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new UsageError(`${flag} must be a positive number, got "${text}".`);
    return value;
  };
