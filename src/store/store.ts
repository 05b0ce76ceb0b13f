import type { JsonValue } from "../format/json-codec.js";

/**
 * Where tracked runs live when they are not plain files: the team server's database (`sqlite/`, `postgres/`)
 * or, seen from an SDK in remote mode, the server itself (`http/`). One URI picks the backend
 * (`sqlite:PATH`, `postgres://…`, `http(s)://…`, see `openStore`). Every backend is held to
 * `storeContract` in `labrun/testing`.
 *
 * Deliberately left out: validation of names, prefixes and values (done once above the backends, in
 * `store/validate.ts`), authentication (`AuthStore`, server side only), file bytes (a `FileStorage` keeps
 * them; the store keeps their metadata), and any caching: every call reads or writes the backend.
 */
export interface Store {
  /** `sqlite`, `postgres`, `http`. */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /** Creates the run for `prefix`, or updates the given fields of the existing one (ML-Dash's upsert). */
  upsertRun(run: RunUpsert): Promise<StoredRun>;
  getRun(runId: string): Promise<StoredRun | undefined>;
  getRunByPrefix(prefix: string): Promise<StoredRun | undefined>;
  /** Runs matching the query, one page of them, with their latest metric values. */
  searchRuns(query: RunQuery): Promise<RunPage>;
  /**
   * Changes a run's description, tags, bindrs or status (`PATCH /api/runs/:runId`). A finished run goes back
   * to RUNNING only by an explicit RUNNING status; its final status is set once (same status again: no-op).
   */
  updateRun(runId: string, patch: RunPatch): Promise<StoredRun>;
  /** Marks the run deleted (MLflow's soft delete); it no longer shows in searches. */
  deleteRun(runId: string): Promise<void>;

  /**
   * Everything one client sent in one go, stored all or nothing. A batch whose `(clientId, seq)` was
   * already stored for this run is not stored again: the result says `duplicate: true`.
   */
  applyBatch(runId: string, batch: RunBatch): Promise<BatchResult>;

  getParams(runId: string): Promise<Readonly<Record<string, JsonValue>>>;
  listMetricStreams(runId: string, options?: StreamListOptions): Promise<readonly MetricStreamSummary[]>;
  /** Points of one stream between `from` and `to` (by index); with `maxPoints`, downsampled keeping extremes. */
  readMetrics(runId: string, stream: string, range?: MetricRange): Promise<MetricSeries>;
  queryLogs(runId: string, query?: LogQuery): Promise<readonly StoredLog[]>;

  /** Records a file whose bytes the server's `FileStorage` already holds. */
  addFile(runId: string, file: NewFile): Promise<StoredFile>;
  listFiles(runId: string, prefix?: string): Promise<readonly StoredFile[]>;
  getFile(runId: string, fileId: string): Promise<StoredFile | undefined>;

  /**
   * Run folders only (`FilesStore`): the files of a run, or without a run those of the last search, that
   * cannot be read (or only in part) and were worked around, and why. Databases have none to report.
   */
  problems?(runId?: string): Promise<readonly StoreProblem[]>;

  /** Flushes and closes connections; later calls fail. */
  close(): Promise<void>;
}

/** A file a backend skipped (or read only in part) because it cannot be read, and why. */
export interface StoreProblem {
  readonly file: string;
  readonly problem: string;
}

export interface StreamListOptions {
  /**
   * false: each stream's count, and its last point's fields and time only, with `summary` left empty: what a
   * listing needs, without reading every point (the run-folder backend reads each stream's last line).
   * Default true.
   */
  readonly summary?: boolean;
}

export interface StoreCapabilities {
  /** Can be read by another process while this one writes (SQLite WAL, PostgreSQL, HTTP). */
  readonly concurrentReaders: boolean;
  /** Downsampling of metric reads happens in the backend (from per-chunk summaries). */
  readonly serverSideDownsampling: boolean;
}

/**
 * A run's status. UNKNOWN: its writer recorded none (an ML-Dash local run, uploaded by `labrun sync`); it is not
 * final (a later status replaces it) and not running.
 */
export type RunStatus = "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED" | "UNKNOWN";

export interface RunUpsert {
  /** `owner/project/path.../name`, validated before it reaches a backend. */
  readonly prefix: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly bindrs?: readonly string[];
  /** Free-form metadata (host, pid, labrun version, …). */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

export interface RunPatch {
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly bindrs?: readonly string[];
  /**
   * Keys merged into the run's metadata, the others kept, in the same write as the rest of the patch (so two
   * concurrent patches of different keys both land, and a status set meanwhile is never undone).
   */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  readonly status?: StatusChange;
}

export interface StoredRun {
  readonly id: string;
  readonly prefix: string;
  readonly owner: string;
  readonly project: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly bindrs: readonly string[];
  readonly metadata: Readonly<Record<string, JsonValue>>;
  readonly error?: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string;
  readonly deleted: boolean;
  /**
   * Run folders only (`FilesStore`): what experiment.json records beyond these fields. `status` is what a
   * reader reports (FAILED for a RUNNING run whose writer died, UNKNOWN for a run written without a status,
   * by ML-Dash alone; the run's `status` is then COMPLETED), with why; the writer's host and start time.
   */
  readonly folder?: {
    readonly status: string;
    readonly reason: string | null;
    readonly host: string | null;
    readonly startedAt: string | null;
  };
}

export interface RunQuery {
  /** Runs whose prefix starts with this (segment-wise: `alice/vision` matches `alice/vision/x`, not `alice/visionary`). */
  readonly prefix?: string;
  readonly project?: string;
  readonly tag?: string;
  readonly status?: RunStatus;
  /** Flattened parameter key → value the run must have. */
  readonly params?: Readonly<Record<string, JsonValue>>;
  /**
   * `metric:<key>` sorts by the latest value of a metric key as in `latestMetrics` (`train.loss`): runs whose
   * latest value is a number first (ties by id), then the others (no value, NaN, not a number) by id.
   */
  readonly sort?: RunSort;
  readonly order?: "asc" | "desc";
  /** Page size (default 100, at most 1000). */
  readonly limit?: number;
  /** Opaque cursor from the previous page. */
  readonly cursor?: string;
  /**
   * false: the page's `latestMetrics` may be left empty, for listings that do not show them (the run-folder
   * backend then reads no metric file). Default true.
   */
  readonly latestMetrics?: boolean;
}

/** What a run search sorts by. */
export type RunSort = "createdAt" | "updatedAt" | "prefix" | "status" | `metric:${string}`;

export interface RunPage {
  readonly runs: readonly RunWithLatest[];
  readonly total: number;
  readonly nextCursor?: string;
}

export interface RunWithLatest extends StoredRun {
  /** `stream.field` → last value written. */
  readonly latestMetrics: Readonly<Record<string, JsonValue>>;
}

export interface RunBatch {
  /** A random id of the writing client (one per Run object). */
  readonly clientId: string;
  /** Increases by one per batch of that client; `(clientId, seq)` makes a retried batch idempotent. */
  readonly seq: number;
  /** Flattened dot keys; later values replace earlier ones unless `immutableParams` (MLflow). */
  readonly params?: Readonly<Record<string, JsonValue>>;
  readonly immutableParams?: boolean;
  readonly metrics?: readonly MetricAppend[];
  readonly logs?: readonly NewLog[];
  readonly status?: StatusChange;
  readonly description?: string;
  readonly tags?: readonly string[];
}

export interface BatchResult {
  readonly duplicate: boolean;
  /**
   * Database backends, for a stored batch: where its records went, so that another process can read them back
   * (the live updates of several servers on one database). `metrics`: stream → index of the batch's first
   * point in it; `logs`: sequence of the batch's first log record.
   */
  readonly positions?: {
    readonly metrics: Readonly<Record<string, number>>;
    readonly logs?: number;
  };
}

export interface StatusChange {
  readonly status: RunStatus;
  readonly error?: string;
  /** ISO 8601; the server's time when absent. */
  readonly at?: string;
}

export interface MetricAppend {
  /** Stream name (`train`, `eval`); ML-Dash's unnamed stream is `""`. */
  readonly stream: string;
  readonly points: readonly MetricPoint[];
}

export interface MetricPoint {
  /** The field values of the point (`{ loss: 0.5, step: 3 }`); numbers, strings, booleans, null. */
  readonly fields: Readonly<Record<string, JsonValue>>;
  /** Seconds since the epoch (ML-Dash's `_ts`). */
  readonly ts: number;
}

export interface MetricStreamSummary {
  readonly stream: string;
  readonly count: number;
  readonly fields: readonly string[];
  readonly firstTs?: number;
  readonly lastTs?: number;
  /** Per numeric field: min, max, last. */
  readonly summary: Readonly<
    Record<string, { readonly min: number; readonly max: number; readonly last: JsonValue }>
  >;
}

export interface MetricRange {
  /**
   * What `from` and `to` compare: `index` (default), `ts` (the point's time, epoch seconds) or a numeric
   * field such as `step`. With a field, points without it are left out and the field is returned with the
   * points' fields (it is their x); the values are expected to increase.
   */
  readonly by?: string;
  /** First point index (0-based, inclusive); with `by` a time or field, the smallest value (inclusive). */
  readonly from?: number;
  /** Last point index (exclusive); with `by` a time or field, the largest value (inclusive). */
  readonly to?: number;
  /** Also the point just before and the one just after the range (a zoomed chart's line reaches its edges). */
  readonly edges?: boolean;
  /** Only the last this many points of the range. */
  readonly last?: number;
  /**
   * May answer at once with evenly spaced points (`approximate: true`, extremes not kept) when the exact
   * answer needs a long first read (a big metric file not parsed yet); ask again shortly for the exact one.
   */
  readonly approximate?: boolean;
  /** At most this many points; extremes (min and max of each numeric field) of every bucket are kept. */
  readonly maxPoints?: number;
  /** Only these fields. */
  readonly fields?: readonly string[];
}

export interface MetricSeries {
  readonly stream: string;
  /** Total points in the stream (not only those returned). */
  readonly count: number;
  readonly downsampled: boolean;
  /** Points in the range before downsampling. */
  readonly inRange?: number;
  /** Evenly spaced points of a first answer (`MetricRange.approximate`). */
  readonly approximate?: boolean;
  readonly points: readonly (MetricPoint & { readonly index: number })[];
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "fatal";

export interface NewLog {
  readonly level: LogLevel;
  readonly message: string;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  /** ISO 8601. */
  readonly timestamp: string;
}

export interface StoredLog extends NewLog {
  readonly sequence: number;
}

export interface LogQuery {
  readonly levels?: readonly LogLevel[];
  /** A regular expression the message must match. */
  readonly regex?: string;
  readonly since?: string;
  readonly until?: string;
  /** Only the last `tail` matching records. */
  readonly tail?: number;
  readonly afterSequence?: number;
  readonly limit?: number;
}

export interface NewFile {
  /** Folder-like prefix (`models`), as in `run.files("models")`. */
  readonly prefix: string;
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType?: string;
  /** Where the server's FileStorage keeps the bytes (relative key). */
  readonly storageKey: string;
}

export interface StoredFile extends NewFile {
  readonly id: string;
  readonly createdAt: string;
}

/**
 * Bearer tokens of the team server, kept by the database backends next to the runs. Only a SHA-256 hash of
 * each secret is stored: `createToken` returns the secret once, and nothing can show it again.
 *
 * Deliberately left out: HTTP (the server's middleware calls `verifyToken`) and users or passwords.
 */
export interface AuthStore {
  createToken(token: NewToken): Promise<CreatedToken>;
  /** Every token, revoked and expired ones included, newest first; never the secrets. */
  listTokens(): Promise<readonly TokenInfo[]>;
  /** Revokes by id; false when there is no such token. Revoking twice is not an error. */
  revokeToken(id: string): Promise<boolean>;
  /** The token's record when the secret is known, not revoked and not expired; otherwise undefined. */
  verifyToken(secret: string): Promise<TokenInfo | undefined>;
  /** The record of a known secret, revoked and expired ones included (to say why it is refused). */
  findToken?(secret: string): Promise<TokenInfo | undefined>;
}

export interface NewToken {
  /** The project (2nd prefix segment) the token may access, or `*` for every project (admin). */
  readonly project: string;
  readonly readOnly?: boolean;
  /** ISO 8601; never expires when absent. */
  readonly expiresAt?: string;
  /** A note for `labrun token list` (who or what uses it). */
  readonly description?: string;
}

export interface TokenInfo {
  /** Public id (for `labrun token revoke <id>`); not the secret. */
  readonly id: string;
  readonly project: string;
  readonly readOnly: boolean;
  readonly description?: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

export interface CreatedToken {
  /** The bearer secret (`lrt_…`), shown once. */
  readonly secret: string;
  readonly token: TokenInfo;
}

/**
 * Short messages among the processes that share one database (PostgreSQL's LISTEN/NOTIFY): how several
 * servers on one database tell each other what they stored, without a broker.
 *
 * Deliberately left out: delivery guarantees. A message sent while the connection is down may be lost; the
 * listener is told (`reconnected`) after every reconnection, so it can make its own readers re-read.
 */
export interface StoreChannel {
  /** Largest payload in bytes (UTF-8) `send` accepts. */
  readonly maxPayloadBytes: number;
  /** Sends to every listening process, this one included. Never throws: queued while disconnected. */
  send(payload: string): void;
  /**
   * Starts listening (one connection per channel, re-established by itself). `reconnected` is called after the
   * connection was lost and made again: messages of the gap are lost.
   */
  listen(handlers: { message(payload: string): void; reconnected(): void }): void;
  close(): Promise<void>;
}

/** What `labrun serve` opens: a database backend holds both the runs and the tokens. */
export interface ServerStore extends Store, AuthStore {
  /** The channel among the processes sharing this database, when the backend has one (PostgreSQL). */
  channel(): StoreChannel | undefined;
}
