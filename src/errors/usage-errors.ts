import { LabrunError } from "./labrun-error.js";

export class UsageError extends LabrunError {
  override readonly code = "USAGE";
}

/** `labrun ui` / `labrun serve` found no built web app in the package. */
export class DashboardNotBuiltError extends LabrunError {
  override readonly code = "DASHBOARD_NOT_BUILT";
  constructor(assetsDir: string) {
    super(
      `The dashboard's web app is not built (no index.html in ${assetsDir}). Run \`npm run build\` ` +
        "(or `npm run build:web`) in the labrun package, then start it again.",
      { details: { assetsDir } },
    );
  }
}

/** The dashboard's port is taken by another process. */
export class PortInUseError extends LabrunError {
  override readonly code = "PORT_IN_USE";
  constructor(host: string, port: number) {
    super(
      `Port ${port} on ${host} is already in use (another \`labrun ui\`?). Pass another one with --port, ` +
        "or --port 0 to pick a free one.",
      { details: { host, port } },
    );
  }
}

/** `labrun monitor` was started without a terminal to draw on (output piped or redirected, no tty). */
export class NotATerminalError extends LabrunError {
  override readonly code = "NOT_A_TERMINAL";
  constructor(stream: "stdout" | "stdin") {
    super(
      `labrun monitor draws a live screen and needs an interactive terminal, but its ${stream} is not one ` +
        "(piped, redirected or no tty). For output that scripts and pipes can read, use " +
        "`labrun experiment status <id>` (one experiment's jobs) or `labrun experiment list` (add --json for JSON).",
      { details: { stream } },
    );
  }
}
