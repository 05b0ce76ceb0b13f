import { LabrunError } from "./labrun-error.js";

/** A run prefix that cannot name a folder under the runs root (`..`, absolute, empty segments, …). */
export class InvalidPrefixError extends LabrunError {
  override readonly code = "INVALID_PREFIX";
  constructor(prefix: string, problem: string) {
    super(
      `Run prefix ${JSON.stringify(prefix)} is not valid: ${problem}. A prefix is "owner/project/path.../name": ` +
        `two or more non-empty segments separated by "/", none of them "." or "..", no leading "/".`,
      { details: { prefix, problem } },
    );
  }
}

/** A metric stream, track topic, file folder or file name that would escape its place in the run. */
export class InvalidTrackingNameError extends LabrunError {
  override readonly code = "INVALID_TRACKING_NAME";
  constructor(what: string, name: string, problem: string) {
    super(
      `${what} ${JSON.stringify(name)} is not valid: ${problem}. Use plain names such as "train" or "models/best".`,
      {
        details: { what, name, problem },
      },
    );
  }
}

/** A value that cannot be stored as JSON (function, bigint, class instance, cycle, …), or a bad option value. */
export class TrackingValueError extends LabrunError {
  override readonly code = "TRACKING_VALUE";
}

export class NoCurrentRunError extends LabrunError {
  override readonly code = "NO_CURRENT_RUN";
  constructor() {
    super(
      "Run.current() has no run to bind to: LABRUN_RUN_DIR is not set. It is set in jobs launched by labrun " +
        '(with LABRUN_RUN_PREFIX). Outside a launched job, create a run yourself: new Run({ prefix: "owner/project/name" }).',
    );
  }
}

/** An operation the run's state does not allow (writing to a closed run, opening a run twice in one process). */
export class RunStateError extends LabrunError {
  override readonly code = "RUN_STATE";
}

export class RunBusyError extends LabrunError {
  override readonly code = "RUN_BUSY";
  constructor(prefix: string, holder: { pid: number; host: string }) {
    super(
      `Run ${prefix} is RUNNING in process ${holder.pid} on ${holder.host}. Wait for it to end, use another prefix, ` +
        `or open it with { attach: true } to append without taking over its status.`,
      { details: { prefix, ...holder } },
    );
  }
}

/**
 * A write to a run's files failed (a full disk) where it cannot wait for space: opening a run, or `labrun log`.
 * Nothing of it was stored. (A running program's writes never throw this: they wait in memory.)
 */
export class RunWriteError extends LabrunError {
  override readonly code = "RUN_WRITE_FAILED";
  constructor(prefix: string, what: string, cause: { code?: string; message: string } | undefined) {
    super(
      `Could not write ${what} of run ${prefix}: ${cause?.message ?? "I/O error"}. Nothing of it was stored ` +
        `(the files keep their last whole record). Free some disk space and try again.`,
      { details: { prefix, what, ...(cause?.code ? { errorCode: cause.code } : {}) }, cause },
    );
  }
}

/** No run at this place: a run folder without experiment.json (StoredRunNotFoundError: not in a store). */
export class RunNotFoundError extends LabrunError {
  override readonly code = "RUN_NOT_FOUND";
  constructor(where: string, worded?: { message: string; details: Record<string, unknown> }) {
    super(
      worded?.message ??
        `No run at ${where} (no experiment.json). Check the prefix and the root (LABRUN_RUNS / LABRUN_HOME).`,
      { details: worded?.details ?? { where } },
    );
  }
}

export class TrackedFileNotFoundError extends LabrunError {
  override readonly code = "TRACKED_FILE_NOT_FOUND";
  constructor(path: string, where: string, hint = "List what is there with run.files().list().") {
    super(`No file ${path} ${where}. ${hint}`, { details: { path, where } });
  }
}

export class ChecksumMismatchError extends LabrunError {
  override readonly code = "CHECKSUM_MISMATCH";
  constructor(file: string, expected: string, actual: string) {
    super(
      `Stored file ${file} does not match its recorded SHA-256 (expected ${expected}, got ${actual}): it was changed ` +
        `or damaged after it was saved. Save it again from its source.`,
      { details: { file, expected, actual } },
    );
  }
}
