/**
 * Every error a user can cause. Each has a stable `code` (for scripts and the HTTP API) and a message
 * that says what to do next. The CLI prints `message` and exits non-zero; it never prints a stack for these.
 */
const brand = Symbol.for("labrun.error");

/** True for errors of any copy of labrun (an experiment file may load its own copy). */
export function isLabrunError(error: unknown): error is LabrunError {
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}

export class LabrunError extends Error {
  readonly code: string = "LABRUN_ERROR";
  readonly [brand] = true;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = Object.freeze({ ...(options?.details ?? {}) });
  }
}

export class UnknownExperimentError extends LabrunError {
  override readonly code = "EXPERIMENT_NOT_FOUND";
  constructor(idOrTitle: string, workspace: string) {
    super(
      `No experiment "${idOrTitle}" in workspace ${workspace}. Run \`labrun experiment list\` to see the ids ` +
        `(or pass --workspace / set LABRUN_HOME if it lives elsewhere).`,
      { details: { idOrTitle, workspace } },
    );
  }
}

export class UnknownJobError extends LabrunError {
  override readonly code = "JOB_NOT_FOUND";
  constructor(job: string, experimentId: string, known: readonly string[]) {
    super(
      `Experiment ${experimentId} has no job "${job}". Use a job index (0-${Math.max(0, known.length - 1)}) ` +
        `or one of: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}.`,
      { details: { job, experimentId, known } },
    );
  }
}

export class DuplicateJobNameError extends LabrunError {
  override readonly code = "DUPLICATE_JOB_NAME";
  constructor(name: string) {
    super(`A job named "${name}" is already in this experiment. Give each job a unique \`name\`.`, {
      details: { name },
    });
  }
}

export class UnknownDependencyError extends LabrunError {
  override readonly code = "UNKNOWN_DEPENDENCY";
  constructor(job: string, dependency: string) {
    super(
      `Job "${job}" depends on "${dependency}", which is not a job of this experiment. ` +
        `Pass the id returned by \`exp.add(...)\` of a job added before it.`,
      { details: { job, dependency } },
    );
  }
}

export class DependencyCycleError extends LabrunError {
  override readonly code = "DEPENDENCY_CYCLE";
  constructor(cycle: readonly string[]) {
    super(`Jobs depend on each other in a cycle: ${cycle.join(" → ")}. Remove one of these dependencies.`, {
      details: { cycle },
    });
  }
}

export class TaskCannotStartError extends LabrunError {
  override readonly code = "TASK_CANNOT_START";
  constructor(what: string, fix: string, details: Record<string, unknown> = {}) {
    super(`${what}. ${fix}`, { details });
  }
}

export class InvalidTaskError extends LabrunError {
  override readonly code = "INVALID_TASK";
}

export class InvalidExecutorError extends LabrunError {
  override readonly code = "INVALID_EXECUTOR";
}

export class ExperimentStateError extends LabrunError {
  override readonly code = "EXPERIMENT_STATE";
}

export class ExperimentBusyError extends LabrunError {
  override readonly code = "EXPERIMENT_BUSY";
  constructor(experimentId: string, holder: { pid: number; host: string }) {
    super(
      `Experiment ${experimentId} is already being driven by process ${holder.pid} on ${holder.host}. ` +
        `Watch it with \`labrun experiment status ${experimentId}\`, or stop that process first.`,
      { details: { experimentId, ...holder } },
    );
  }
}

export class ExperimentExistsError extends LabrunError {
  override readonly code = "EXPERIMENT_EXISTS";
  constructor(dir: string) {
    super(`Experiment directory ${dir} already exists. Pass \`existOk: true\` or use a new id.`, {
      details: { dir },
    });
  }
}

/**
 * A labrun file that cannot be read (not JSON, cut short, or not of its schema). Listings skip such a record
 * with a warning naming the file; asked for directly, it is this error; and labrun never writes over it.
 */
export class CorruptRecordError extends LabrunError {
  override readonly code = "CORRUPT_RECORD";
  constructor(file: string, problem: string) {
    super(
      `${file} cannot be read (${problem}). labrun left it as it is and will not write over it: repair it ` +
        `by hand or restore it from a backup; delete it (or its folder) only if what it held may be lost. ` +
        `Listings skip it with a warning meanwhile.`,
      { details: { file, problem } },
    );
  }
}

export class ExperimentFileError extends LabrunError {
  override readonly code = "EXPERIMENT_FILE";
}

export class UsageError extends LabrunError {
  override readonly code = "USAGE";
}

export class UnknownKindError extends LabrunError {
  override readonly code = "UNKNOWN_KIND";
  constructor(what: "task" | "executor", kind: string) {
    super(
      `This process does not know the ${what} kind "${kind}". Built-in kinds are always known; a custom kind must be ` +
        `registered (register${what === "task" ? "TaskKind" : "ExecutorKind"}) by a module imported before the experiment is reopened.`,
      { details: { what, kind } },
    );
  }
}

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

export class RunNotFoundError extends LabrunError {
  override readonly code = "RUN_NOT_FOUND";
  constructor(where: string) {
    super(
      `No run at ${where} (no experiment.json). Check the prefix and the root (LABRUN_RUNS / LABRUN_HOME).`,
      {
        details: { where },
      },
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

// ---- YAML experiment files (`labrun run-experiment`) ----

/** A YAML experiment file (or a parent, --pre-yaml or --post-yaml file) that is missing or is not valid YAML. */
export class ConfigFileError extends LabrunError {
  override readonly code = "CONFIG_FILE";
}

/** YAML files whose `parent` keys lead back to one of them. */
export class ConfigParentCycleError extends LabrunError {
  override readonly code = "CONFIG_PARENT_CYCLE";
  constructor(chain: readonly string[]) {
    super(
      `The \`parent\` keys of these YAML files form a cycle: ${chain.join(" → ")}. Remove \`parent\` from one of them.`,
      { details: { chain } },
    );
  }
}

/** A configuration value that is missing, conflicts with another, or that the experiment's schema rejects. */
export class ConfigValueError extends LabrunError {
  override readonly code = "CONFIG_VALUE";
}

/** A configuration key that neither `ConfigurationBase` nor the experiment's `configuration` schema declares. */
export class UnknownConfigKeyError extends LabrunError {
  override readonly code = "CONFIG_UNKNOWN_KEY";
  constructor(key: string, where: string, closest: string | undefined, known: readonly string[]) {
    super(
      `${where}: unknown configuration key "${key}"` +
        (closest ? `; did you mean "${closest}"?` : ".") +
        ` Known keys here: ${known.slice(0, 30).join(", ")}${known.length > 30 ? ", …" : ""}` +
        ` (declare new keys in the experiment file's \`configuration\` schema).`,
      { details: { key, where, closest, known } },
    );
  }
}

/** A `-c key.path=value` override whose syntax or path is wrong. */
export class ConfigOverrideError extends LabrunError {
  override readonly code = "CONFIG_OVERRIDE";
}

/** A `--run-mode` other than NORMAL, DRY_RUN or GENERATE. */
export class InvalidRunModeError extends UsageError {
  constructor(mode: string) {
    super(
      `Run mode "${mode}" is not known. Use NORMAL (run the jobs), DRY_RUN (list them) or GENERATE (write their scripts).`,
      {
        details: { mode },
      },
    );
  }
}

/** The experiment's git repository has uncommitted changes and `dirty_git` is `error` (experimaestro's DirtyGitError). */
export class DirtyGitError extends LabrunError {
  override readonly code = "DIRTY_GIT";
  constructor(repository: string, where: string) {
    super(
      `The git repository ${repository} has uncommitted changes and ${where} sets \`dirty_git: error\`. ` +
        "Commit (or stash) the changes, or set `dirty_git: warn` to run anyway.",
      { details: { repository, where } },
    );
  }
}

export class TaskValidationError extends LabrunError {
  override readonly code = "TASK_VALIDATION";
  constructor(
    task: string,
    issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
  ) {
    const lines = issues.map(
      (issue) => `${issue.path.map(String).join(".") || "(parameters)"}: ${issue.message}`,
    );
    super(
      `Parameters of task "${task}" are not valid: ${lines.join("; ")}. Fix them in the call ${task}({…}).`,
      {
        details: { task, issues: lines },
      },
    );
  }
}

export class IndexUnavailableError extends LabrunError {
  override readonly code = "INDEX_UNAVAILABLE";
  constructor(file: string, problem: string) {
    super(
      `The workspace index ${file} cannot be written (${problem}). It is only a cache: listings still read the ` +
        `experiment folders. Check the workspace's permissions, or stop the process holding the index, and retry.`,
      { details: { file, problem } },
    );
  }
}

/** A service of an experiment (`helper.addService`) failed to start. */
export class ServiceStartError extends LabrunError {
  override readonly code = "SERVICE_START";
  constructor(service: string, cause: unknown) {
    super(
      `Service ${service} could not start: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        "Fix what it needs (a free port, a program on the PATH) or remove it from the experiment file, and run again.",
      { cause, details: { service } },
    );
  }
}

// ---- Team server (`labrun serve`, src/server/) ----

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

/** A run id or prefix the server's store does not hold (or that was deleted). */
export class StoredRunNotFoundError extends LabrunError {
  override readonly code = "RUN_NOT_FOUND";
  constructor(idOrPrefix: string) {
    super(
      `No run ${JSON.stringify(idOrPrefix)} on this server. List the runs with GET /api/runs ` +
        "(or create it with POST /api/runs).",
      { details: { run: idOrPrefix } },
    );
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

// ---- Remote mode (HttpStore, the remote sink, `labrun sync`) ----

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
 * (a newer server, or a code such as UNAUTHORIZED or PAYLOAD_TOO_LARGE): the server's code and message.
 */
export class ServerRequestError extends LabrunError {
  override readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number, details: Record<string, unknown> = {}) {
    super(message, { details: { ...details, status } });
    this.code = code;
    this.status = status;
  }
}

// ---- Storage backends (src/store/: SqliteStore, PostgresStore, openStore) ----

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

/** The SSH connection to a cluster could not be opened or broke (exit code 255 of `ssh`). */
export class TunnelError extends LabrunError {
  override readonly code = "TUNNEL_FAILED";
  constructor(endpoint: string, message: string) {
    super(
      `Could not reach ${endpoint} over SSH: ${message}. Check that \`ssh\` to that host works without a prompt ` +
        "(key in the agent or `identity`, host key known), or set `interactive: true` to be asked once.",
      { details: { endpoint, message } },
    );
  }
}

/** sbatch refused a job (bad partition, bad time format, over a limit); nothing of the batch was submitted. */
export class SlurmSubmitError extends LabrunError {
  override readonly code = "SLURM_SUBMIT_REJECTED";
  constructor(jobName: string, slurmMessage: string) {
    super(
      `Slurm rejected job ${jobName}: ${slurmMessage}. Fix the SlurmExecutor option it names ` +
        "(`partition`, `time`, `mem`, `account`, …; `sinfo` lists partitions and limits) and run again.",
      { details: { jobName, slurmMessage } },
    );
  }
}

/** A packager was asked to ship a repository with changes that are not committed. */
export class UncommittedChangesError extends LabrunError {
  override readonly code = "PACKAGE_UNCOMMITTED";
  constructor(repository: string, files: readonly string[]) {
    super(
      `The git repository ${repository} has uncommitted or untracked changes (${files.slice(0, 5).join(", ")}` +
        `${files.length > 5 ? ", …" : ""}) that GitArchivePackager would leave out. Commit them, or pass ` +
        "`includeUncommitted: true` to ship the working tree as it is.",
      { details: { repository, files: [...files] } },
    );
  }
}

/** Packaging the code for a cluster failed (not a git repository, no file matched, tar failed). */
export class PackagingError extends LabrunError {
  override readonly code = "PACKAGE_FAILED";
}

/** An MLflow REST request the server refuses, with MLflow's own error code (`INVALID_PARAMETER_VALUE`, …). */
export class MlflowRequestError extends LabrunError {
  override readonly code: string;
  readonly status: number;
  constructor(mlflowCode: string, message: string, status = 400) {
    super(message, { details: { mlflowCode } });
    this.code = mlflowCode;
    this.status = status;
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

/** A plan (docs/plan-protocol.md) that is not JSON or does not match the schema. */
export class PlanInvalidError extends LabrunError {
  override readonly code = "PLAN_INVALID";
}

/** A plan of a protocol version this engine does not read. */
export class PlanVersionError extends LabrunError {
  override readonly code = "PLAN_VERSION";
  constructor(version: unknown, supported: number) {
    super(
      `This plan is of version ${JSON.stringify(version)}; this labrun reads plan version ${supported}. ` +
        "Install matching versions of the labrun engine (npm) and its Python client.",
      { details: { version, supported } },
    );
  }
}

/** An option an API does not know (a typo, or an option of another version): refused, never ignored. */
export class UnknownOptionError extends LabrunError {
  override readonly code = "UNKNOWN_OPTION";
  constructor(what: string, unknown: readonly string[], known: readonly string[]) {
    super(
      `${what} does not take ${unknown.map((key) => `\`${key}\``).join(", ")}. Its options are: ${known.join(", ")}.`,
      { details: { what, unknown, known } },
    );
  }
}
