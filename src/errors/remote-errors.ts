import { LabrunError, type ForeignErrorCode } from "./labrun-error.js";

/** The labrun server could not be reached (connection refused, DNS, timeout). */
export class ServerUnreachableError extends LabrunError {
  override readonly code = "SERVER_UNREACHABLE";
  constructor(url: string, problem: string, cause?: unknown) {
    super(
      `Cannot reach the labrun server at ${url} (${problem}). Check that \`labrun serve\` runs there and that ` +
        "the URL (--url / LABRUN_URL) is right. Runs in remote mode keep their data in the buffer meanwhile; " +
        "`labrun sync` sends what is left.",
      { cause, details: { url, problem } },
    );
  }
}

/**
 * An error the labrun server answered with, whose code has no class of its own in this copy of labrun
 * (a newer server, or a Python planner's own code such as ENGINE_FAILED): its code, message and HTTP status.
 */
export class ServerRequestError extends LabrunError {
  override readonly code: ForeignErrorCode;
  readonly status: number;
  constructor(code: string, message: string, status: number, details: Record<string, unknown> = {}) {
    super(message, { details: { ...details, status } });
    this.code = code as ForeignErrorCode;
    this.status = status;
  }
}
