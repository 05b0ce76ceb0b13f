import type { ErrorCode } from "./error-codes.js";
import type { LabrunError } from "./labrun-error.js";
import { LabrunError as BaseError } from "./labrun-error.js";
import * as cluster from "./cluster-errors.js";
import * as config from "./config-errors.js";
import * as fileStorage from "./file-storage-errors.js";
import * as launch from "./experiment-errors.js";
import * as plan from "./plan-errors.js";
import * as remote from "./remote-errors.js";
import * as server from "./server-errors.js";
import * as store from "./store-errors.js";
import * as tracking from "./tracking-errors.js";
import * as usage from "./usage-errors.js";

/** An HTTP status an error answers with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 414 | 415 | 431 | 500 | 502 | 503 | 507;

// Any constructor: the table only reads the class, it never calls it.
type ErrorClass = abstract new (...args: never[]) => LabrunError;

/** One code's class and status. */
export interface ErrorEntry {
  readonly class: ErrorClass;
  readonly status: ErrorStatus;
}

/**
 * The one table of labrun's error codes: the class that throws each (the SDK rebuilds a server's error as it)
 * and the HTTP status the servers answer it with. The compiler requires every `ErrorCode` here once and a
 * class whose `code` is that code. 400 are mistakes in the request; the others say what went wrong
 * elsewhere (404 missing, 409 state, 5xx the server's side).
 */
export const errorTable = Object.freeze({
  LABRUN_ERROR: { class: BaseError, status: 400 },
  EXPERIMENT_NOT_FOUND: { class: launch.UnknownExperimentError, status: 404 },
  JOB_NOT_FOUND: { class: launch.UnknownJobError, status: 404 },
  DUPLICATE_JOB_NAME: { class: launch.DuplicateJobNameError, status: 400 },
  UNKNOWN_DEPENDENCY: { class: launch.UnknownDependencyError, status: 400 },
  DEPENDENCY_CYCLE: { class: launch.DependencyCycleError, status: 400 },
  TASK_CANNOT_START: { class: launch.TaskCannotStartError, status: 400 },
  INVALID_TASK: { class: launch.InvalidTaskError, status: 400 },
  INVALID_EXECUTOR: { class: launch.InvalidExecutorError, status: 400 },
  EXPERIMENT_STATE: { class: launch.ExperimentStateError, status: 409 },
  EXPERIMENT_BUSY: { class: launch.ExperimentBusyError, status: 409 },
  EXPERIMENT_EXISTS: { class: launch.ExperimentExistsError, status: 409 },
  EXPERIMENT_FILE: { class: launch.ExperimentFileError, status: 400 },
  UNKNOWN_KIND: { class: launch.UnknownKindError, status: 400 },
  TASK_VALIDATION: { class: launch.TaskValidationError, status: 400 },
  INDEX_UNAVAILABLE: { class: launch.IndexUnavailableError, status: 503 },
  SERVICE_START: { class: launch.ServiceStartError, status: 400 },
  UNKNOWN_OPTION: { class: launch.UnknownOptionError, status: 400 },
  // a stored record that cannot be read: the request was fine, the data is damaged
  CORRUPT_RECORD: { class: launch.CorruptRecordError, status: 409 },
  USAGE: { class: usage.UsageError, status: 400 },
  DASHBOARD_NOT_BUILT: { class: usage.DashboardNotBuiltError, status: 500 },
  PORT_IN_USE: { class: usage.PortInUseError, status: 400 },
  NOT_A_TERMINAL: { class: usage.NotATerminalError, status: 400 },
  CONFIG_FILE: { class: config.ConfigFileError, status: 400 },
  CONFIG_PARENT_CYCLE: { class: config.ConfigParentCycleError, status: 400 },
  CONFIG_VALUE: { class: config.ConfigValueError, status: 400 },
  CONFIG_UNKNOWN_KEY: { class: config.UnknownConfigKeyError, status: 400 },
  CONFIG_OVERRIDE: { class: config.ConfigOverrideError, status: 400 },
  DIRTY_GIT: { class: config.DirtyGitError, status: 400 },
  INVALID_PREFIX: { class: tracking.InvalidPrefixError, status: 400 },
  INVALID_TRACKING_NAME: { class: tracking.InvalidTrackingNameError, status: 400 },
  TRACKING_VALUE: { class: tracking.TrackingValueError, status: 400 },
  NO_CURRENT_RUN: { class: tracking.NoCurrentRunError, status: 400 },
  RUN_STATE: { class: tracking.RunStateError, status: 409 },
  RUN_BUSY: { class: tracking.RunBusyError, status: 409 },
  RUN_WRITE_FAILED: { class: tracking.RunWriteError, status: 507 },
  // the server's stores throw the subclass StoredRunNotFoundError; run folders throw RunNotFoundError
  RUN_NOT_FOUND: { class: server.StoredRunNotFoundError, status: 404 },
  TRACKED_FILE_NOT_FOUND: { class: tracking.TrackedFileNotFoundError, status: 404 },
  CHECKSUM_MISMATCH: { class: tracking.ChecksumMismatchError, status: 400 },
  BAD_REQUEST: { class: server.BadRequestError, status: 400 },
  UNAUTHORIZED: { class: server.UnauthorizedError, status: 401 },
  FORBIDDEN: { class: server.ForbiddenError, status: 403 },
  PAYLOAD_TOO_LARGE: { class: server.PayloadTooLargeError, status: 413 },
  FILE_NOT_FOUND: { class: server.StoredFileNotFoundError, status: 404 },
  NOT_FOUND: { class: server.RouteNotFoundError, status: 404 },
  // DNS rebinding: a Host name the server does not answer to
  HOST_NOT_ALLOWED: { class: server.HostNotAllowedError, status: 403 },
  // a state-changing request from a page of another site
  CROSS_ORIGIN: { class: server.CrossOriginError, status: 403 },
  UNSUPPORTED_MEDIA_TYPE: { class: server.UnsupportedMediaTypeError, status: 415 },
  URI_TOO_LONG: { class: server.RequestTooLargeError, status: 414 },
  HEADERS_TOO_LARGE: { class: server.RequestTooLargeError, status: 431 },
  INVALID_REGEX: { class: server.InvalidRegexError, status: 400 },
  // disk full (files folder or database): clients keep the data and retry
  STORAGE_FULL: { class: server.StorageFullError, status: 507 },
  METHOD_NOT_ALLOWED: { class: server.MethodNotAllowedError, status: 405 },
  SHUTTING_DOWN: { class: server.ShuttingDownError, status: 503 },
  INTERNAL: { class: server.InternalServerError, status: 500 },
  // the object store of `--files s3://…` is unreachable: nothing kept, clients retry
  FILE_STORAGE_UNAVAILABLE: { class: fileStorage.FileStorageUnavailableError, status: 503 },
  // the bucket is missing or the credentials refused: the operator must fix the configuration
  FILE_STORAGE_ACCESS: { class: fileStorage.FileStorageAccessError, status: 500 },
  SERVER_UNREACHABLE: { class: remote.ServerUnreachableError, status: 502 },
  STORE_URI: { class: store.StoreUriError, status: 400 },
  STORE_SCHEMA: { class: store.StoreSchemaError, status: 500 },
  STORE_CLOSED: { class: store.StoreClosedError, status: 503 },
  PARAM_IMMUTABLE: { class: store.ImmutableParamError, status: 400 },
  RUN_STATUS_TRANSITION: { class: store.RunStatusTransitionError, status: 409 },
  // a database hiccup: clients retry the batch
  STORE_UNAVAILABLE: { class: store.StoreUnavailableError, status: 503 },
  STORE_COPY_CONFLICT: { class: store.StoreCopyConflictError, status: 409 },
  STORE_COPY_INCOMPLETE: { class: store.StoreCopyIncompleteError, status: 500 },
  TUNNEL_FAILED: { class: cluster.TunnelError, status: 400 },
  SLURM_SUBMIT_REJECTED: { class: cluster.SlurmSubmitError, status: 400 },
  PACKAGE_UNCOMMITTED: { class: cluster.UncommittedChangesError, status: 400 },
  PACKAGE_FAILED: { class: cluster.PackagingError, status: 400 },
  PLAN_INVALID: { class: plan.PlanInvalidError, status: 400 },
  PLAN_VERSION: { class: plan.PlanVersionError, status: 400 },
} as const satisfies { readonly [C in ErrorCode]: ErrorEntry });

// A compile error names any code whose class throws another code, or no code of its own (the base's).
type CodeOf<C extends ErrorCode> = InstanceType<(typeof errorTable)[C]["class"]>["code"];
type Mismatch = {
  [C in ErrorCode]: C extends "LABRUN_ERROR"
    ? never
    : ErrorCode extends CodeOf<C>
      ? C
      : C extends CodeOf<C>
        ? never
        : C;
}[ErrorCode];
const classesMatchCodes: [Mismatch] extends [never] ? true : Mismatch = true;
void classesMatchCodes;

const hasOwn = Object.prototype.hasOwnProperty;

/** True when `code` is one of this copy's codes (not a foreign one: MLflow's, a newer server's). */
export function isErrorCode(code: string): code is ErrorCode {
  return hasOwn.call(errorTable, code);
}

/** The HTTP status of a code; `undefined` for a foreign code. */
export function errorStatus(code: string): ErrorStatus | undefined {
  return isErrorCode(code) ? errorTable[code].status : undefined;
}

/** The class that throws a code (what the SDK rebuilds a server's error as); `undefined` for a foreign code. */
export function errorClass(code: string): ErrorClass | undefined {
  return isErrorCode(code) ? errorTable[code].class : undefined;
}
