import { LabrunError, type ForeignErrorCode } from "./labrun-error.js";
import { RunNotFoundError } from "./tracking-errors.js";

/** An HTTP request whose body or query is malformed: bad JSON, wrong types, unknown fields, too deep. */
export class BadRequestError extends LabrunError {
  override readonly code = "BAD_REQUEST";
}

/** A request to the server without a valid bearer token. */
export class UnauthorizedError extends LabrunError {
  override readonly code = "UNAUTHORIZED";
}

/** A token that may not do this: another project's run, or a write with a read-only token. */
export class ForbiddenError extends LabrunError {
  override readonly code = "FORBIDDEN";
}

/** A request body (JSON or uploaded file) larger than the server accepts. */
export class PayloadTooLargeError extends LabrunError {
  override readonly code = "PAYLOAD_TOO_LARGE";
  constructor(what: string, limitBytes: number) {
    super(
      `${what} is larger than the server's limit of ${limitBytes} bytes. Send smaller batches ` +
        `(or start the server with a larger limit).`,
      { details: { limitBytes } },
    );
  }
}

/**
 * A run id or prefix a store does not hold (or that was deleted): a `RunNotFoundError` (code RUN_NOT_FOUND)
 * whose message points at the server's API. Remote mode rebuilds a server's RUN_NOT_FOUND as this class.
 */
export class StoredRunNotFoundError extends RunNotFoundError {
  constructor(idOrPrefix: string) {
    super(idOrPrefix, {
      message:
        `No run ${JSON.stringify(idOrPrefix)} on this server. List the runs with GET /api/runs ` +
        "(or create it with POST /api/runs).",
      details: { run: idOrPrefix },
    });
  }
}

/** A file id the run does not have. */
export class StoredFileNotFoundError extends LabrunError {
  override readonly code = "FILE_NOT_FOUND";
  constructor(runId: string, fileId: string) {
    super(`Run ${runId} has no file ${fileId}. List its files with GET /api/runs/${runId}/files.`, {
      details: { runId, fileId },
    });
  }
}

/** No route for this method and path on the server. */
export class RouteNotFoundError extends LabrunError {
  override readonly code = "NOT_FOUND";
  constructor(method: string, path: string) {
    super(`No API endpoint ${method} ${path}. See GET /api/openapi.json for the endpoints.`, {
      details: { method, path },
    });
  }
}

/** A request naming a Host the server does not answer to (DNS rebinding protection). */
export class HostNotAllowedError extends LabrunError {
  override readonly code = "HOST_NOT_ALLOWED";
  constructor(host: string, allowed: readonly string[]) {
    super(
      `This server does not answer to the host name ${JSON.stringify(host)} (it answers to ${allowed.join(", ")}). ` +
        "Open it through one of those, or start it with --allowed-hosts <name,…> to add the name you use " +
        "(for example the name a reverse proxy forwards).",
      { details: { host, allowed } },
    );
  }
}

/** A state-changing request sent by a page of another site (CSRF protection). */
export class CrossOriginError extends LabrunError {
  override readonly code = "CROSS_ORIGIN";
  constructor(origin: string, reason: string) {
    super(
      `Refused a state-changing request from ${origin} (${reason}): only pages served by this server may ` +
        "change its data. Use the dashboard at this server's own address, or a program (which sends no Origin).",
      { details: { origin, reason } },
    );
  }
}

/** A state-changing request whose body is not declared as JSON. */
export class UnsupportedMediaTypeError extends LabrunError {
  override readonly code = "UNSUPPORTED_MEDIA_TYPE";
  constructor(contentType: string | undefined) {
    super(
      `This endpoint takes a JSON body: send it with \`Content-Type: application/json\` ` +
        `(got ${contentType ? JSON.stringify(contentType) : "no Content-Type"}).`,
      { details: { contentType: contentType ?? null } },
    );
  }
}

/** A request URL or its headers larger than the server reads. */
export class RequestTooLargeError extends LabrunError {
  override readonly code: "URI_TOO_LONG" | "HEADERS_TOO_LARGE";
  constructor(what: "url" | "headers", limitBytes: number) {
    super(
      what === "url"
        ? `The request URL is longer than ${limitBytes} bytes. Send long values in a POST body instead.`
        : `The request headers are larger than ${limitBytes} bytes. Send fewer or shorter headers.`,
      { details: { limitBytes } },
    );
    this.code = what === "url" ? "URI_TOO_LONG" : "HEADERS_TOO_LARGE";
  }
}

/** A user-supplied regular expression that cannot be compiled (or uses what linear-time matching refuses). */
export class InvalidRegexError extends LabrunError {
  override readonly code = "INVALID_REGEX";
  constructor(pattern: string, problem: string) {
    super(
      `${JSON.stringify(pattern.length > 200 ? pattern.slice(0, 200) + "…" : pattern)} is not a usable regular ` +
        `expression (${problem}). Patterns use RE2 syntax (linear time): no backreferences or lookaround.`,
      { details: { pattern, problem } },
    );
  }
}

/** The server's disk (files folder or database) is full or failing: nothing of the request was kept. */
export class StorageFullError extends LabrunError {
  override readonly code = "STORAGE_FULL";
  constructor(where: string, problem: string, cause?: unknown) {
    super(
      `The server could not write ${where} (${problem}); nothing of this request was kept. ` +
        "Retry later: the server's operator must free disk space (or grow the volume).",
      { cause, details: { where, problem } },
    );
  }
}

/** An endpoint that exists, asked with a method it does not answer. */
export class MethodNotAllowedError extends LabrunError {
  override readonly code = "METHOD_NOT_ALLOWED";
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(`${path} does not answer ${method}; it answers ${allowed.join(", ")}.`, {
      details: { method, path, allowed },
    });
  }
}

/** An MLflow REST request the server refuses, with MLflow's own error code (`INVALID_PARAMETER_VALUE`, …). */
export class MlflowRequestError extends LabrunError {
  override readonly code: ForeignErrorCode;
  readonly status: number;
  constructor(mlflowCode: string, message: string, status = 400) {
    super(message, { details: { mlflowCode } });
    this.code = mlflowCode as ForeignErrorCode;
    this.status = status;
  }
}

/** The server is draining its requests before it stops: retry in a moment (503, `Retry-After: 1`). */
export class ShuttingDownError extends LabrunError {
  override readonly code = "SHUTTING_DOWN";
  constructor() {
    super("The server is shutting down; retry shortly.");
  }
}

/** A fault of the server itself (a bug, or a failure it did not expect): it is logged there, not described. */
export class InternalServerError extends LabrunError {
  override readonly code = "INTERNAL";
  constructor(
    message = "The server failed while handling this request (see its log). Retry; report it if it persists.",
  ) {
    super(message);
  }
}
