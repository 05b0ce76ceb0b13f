/**
 * Every stable code of labrun's errors. Each belongs to exactly one class and has one HTTP status: both are
 * in `errorTable` (error-table.ts), which the compiler holds to this list; docs/errors.md documents each.
 */
export type ErrorCode =
  // the base class (a LabrunError thrown without a subclass)
  | "LABRUN_ERROR"
  // launching: experiments, jobs, tasks, executors, the workspace
  | "EXPERIMENT_NOT_FOUND"
  | "JOB_NOT_FOUND"
  | "DUPLICATE_JOB_NAME"
  | "UNKNOWN_DEPENDENCY"
  | "DEPENDENCY_CYCLE"
  | "TASK_CANNOT_START"
  | "INVALID_TASK"
  | "INVALID_EXECUTOR"
  | "EXPERIMENT_STATE"
  | "EXPERIMENT_BUSY"
  | "EXPERIMENT_EXISTS"
  | "EXPERIMENT_FILE"
  | "UNKNOWN_KIND"
  | "TASK_VALIDATION"
  | "INDEX_UNAVAILABLE"
  | "SERVICE_START"
  | "UNKNOWN_OPTION"
  | "CORRUPT_RECORD"
  // the CLI and the local servers it starts
  | "USAGE"
  | "DASHBOARD_NOT_BUILT"
  | "PORT_IN_USE"
  | "NOT_A_TERMINAL"
  // YAML experiment files (`labrun run-experiment`)
  | "CONFIG_FILE"
  | "CONFIG_PARENT_CYCLE"
  | "CONFIG_VALUE"
  | "CONFIG_UNKNOWN_KEY"
  | "CONFIG_OVERRIDE"
  | "DIRTY_GIT"
  // tracking (Run, run folders)
  | "INVALID_PREFIX"
  | "INVALID_TRACKING_NAME"
  | "TRACKING_VALUE"
  | "NO_CURRENT_RUN"
  | "RUN_STATE"
  | "RUN_BUSY"
  | "RUN_WRITE_FAILED"
  | "RUN_NOT_FOUND"
  | "TRACKED_FILE_NOT_FOUND"
  | "CHECKSUM_MISMATCH"
  // the HTTP servers (`labrun serve`, `labrun ui`)
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "PAYLOAD_TOO_LARGE"
  | "FILE_NOT_FOUND"
  | "NOT_FOUND"
  | "HOST_NOT_ALLOWED"
  | "CROSS_ORIGIN"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "URI_TOO_LONG"
  | "HEADERS_TOO_LARGE"
  | "INVALID_REGEX"
  | "STORAGE_FULL"
  | "METHOD_NOT_ALLOWED"
  | "SHUTTING_DOWN"
  | "INTERNAL"
  // the server's file storage (an S3-compatible object store)
  | "FILE_STORAGE_UNAVAILABLE"
  | "FILE_STORAGE_ACCESS"
  // remote mode (HttpStore, the remote sink, `labrun sync`)
  | "SERVER_UNREACHABLE"
  // stores (SQLite, PostgreSQL, openStore)
  | "STORE_URI"
  | "STORE_SCHEMA"
  | "STORE_CLOSED"
  | "PARAM_IMMUTABLE"
  | "RUN_STATUS_TRANSITION"
  | "STORE_UNAVAILABLE"
  | "STORE_COPY_CONFLICT"
  | "STORE_COPY_INCOMPLETE"
  // clusters (Slurm, SSH tunnels, packagers)
  | "TUNNEL_FAILED"
  | "SLURM_SUBMIT_REJECTED"
  | "PACKAGE_UNCOMMITTED"
  | "PACKAGE_FAILED"
  // plans of the Python launch API
  | "PLAN_INVALID"
  | "PLAN_VERSION";
