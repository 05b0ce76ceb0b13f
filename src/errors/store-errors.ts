import { LabrunError } from "./labrun-error.js";

/** A store URI that names no backend (`sqlite:PATH`, `postgres://…`, `http(s)://…`). */
export class StoreUriError extends LabrunError {
  override readonly code = "STORE_URI";
  constructor(uri: string, problem: string) {
    super(
      `Store URI ${JSON.stringify(uri)} is not valid: ${problem}. Use sqlite:PATH (e.g. sqlite:./labrun.db), ` +
        "postgres://user:password@host:5432/db or http(s)://host:port of a labrun server.",
      { details: { uri, problem } },
    );
  }
}

/** A database whose schema this labrun cannot use (written by a newer labrun, or a failed migration). */
export class StoreSchemaError extends LabrunError {
  override readonly code = "STORE_SCHEMA";
}

/** A store used after `close()`. */
export class StoreClosedError extends LabrunError {
  override readonly code = "STORE_CLOSED";
  constructor(kind: string) {
    super(`The ${kind} store is closed. Open it again with openStore(uri).`, { details: { kind } });
  }
}

/** A parameter set again with another value where parameters are immutable (MLflow's rule). */
export class ImmutableParamError extends LabrunError {
  override readonly code = "PARAM_IMMUTABLE";
  constructor(runId: string, key: string, oldValue: string, newValue: string) {
    super(
      `Parameter ${JSON.stringify(key)} of run ${runId} is already ${oldValue}; it cannot be changed to ${newValue}. ` +
        "Parameters logged through MLflow are immutable: log the new value under another key, or start a new run.",
      { details: { runId, key, oldValue, newValue } },
    );
  }
}

/** A status change the run's current status does not allow (e.g. COMPLETED → FAILED). */
export class RunStatusTransitionError extends LabrunError {
  override readonly code = "RUN_STATUS_TRANSITION";
  constructor(runId: string, from: string, to: string) {
    super(
      `Run ${runId} is ${from}; it cannot become ${to}. A finished run only goes back to RUNNING (resume it by ` +
        "upserting its prefix), and its final status is set once.",
      { details: { runId, from, to } },
    );
  }
}

/** The database server of a store cannot be reached or refuses the connection. */
export class StoreUnavailableError extends LabrunError {
  override readonly code = "STORE_UNAVAILABLE";
  constructor(where: string, problem: string, cause?: unknown) {
    super(
      `Cannot use the database at ${where} (${problem}). SQLite: check that the file's folder can be created ` +
        "and written and the disk is not full. PostgreSQL: check that the server runs and that the URL's host, " +
        "port, user, password and database name are right (the database must exist: createdb <name>).",
      { cause, details: { where, problem } },
    );
  }
}

/**
 * `labrun store copy`: the target database already holds other data under ids the source uses (a run or a
 * token changed on either side since the last copy, or another server's data).
 */
export class StoreCopyConflictError extends LabrunError {
  override readonly code = "STORE_COPY_CONFLICT";
  constructor(target: string, conflicts: readonly string[]) {
    const shown = conflicts.slice(0, 5).join("; ");
    super(
      `The target ${target} already holds different data under ${conflicts.length} id(s) of the source ` +
        `(${shown}${conflicts.length > 5 ? "; …" : ""}). Nothing was written. Copy into an empty database, or ` +
        "pass --force to replace those runs and tokens in the target with the source's.",
      { details: { target, conflicts: conflicts.slice(0, 100), count: conflicts.length } },
    );
  }
}

/**
 * `labrun store copy`: the copy is not exact (verification found a difference) or cannot be made (a file's
 * bytes are missing from the source's file storage).
 */
export class StoreCopyIncompleteError extends LabrunError {
  override readonly code = "STORE_COPY_INCOMPLETE";
}
