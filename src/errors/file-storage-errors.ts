import { LabrunError } from "./labrun-error.js";

/**
 * The server's file storage (an S3-compatible object store) cannot be reached or answered with a server
 * error: nothing of the request was kept, and the next request tries again (503; clients retry).
 */
export class FileStorageUnavailableError extends LabrunError {
  override readonly code = "FILE_STORAGE_UNAVAILABLE";
  constructor(where: string, problem: string, cause?: unknown) {
    super(
      `The server's file storage ${where} cannot be reached (${problem}); nothing of this request was kept. ` +
        "Retry later; the server's operator must check that the object store runs and that its endpoint " +
        "(--s3-endpoint, AWS_ENDPOINT_URL) is reachable from the server.",
      { cause, details: { where, problem } },
    );
  }
}

/**
 * The object store refuses the server: the bucket does not exist, or the credentials are missing or refused.
 * `labrun serve` checks this at start and exits with this message; during service it answers 500.
 */
export class FileStorageAccessError extends LabrunError {
  override readonly code = "FILE_STORAGE_ACCESS";
  constructor(where: string, problem: string, todo: string, cause?: unknown) {
    super(`The server's file storage ${where} refuses access (${problem}). ${todo}`, {
      cause,
      details: { where, problem },
    });
  }
}
