import type { JsonValue } from "../../format/json-codec.js";
/**
 * What the dashboard shows, whatever holds it: the local workspace (`labrun ui`, `WorkspaceSource`) or the
 * team server's store (`labrun serve`). The web app only talks to the JSON API built on this interface, so
 * the same React app works over either.
 *
 * Deliberately left out: writing tracked data (the dashboard only reads runs), authentication (the server
 * in front of it decides who may call), and any notion of files on disk (a file is a stream of bytes).
 * Experiments and jobs are optional (`capabilities.experiments`): a store holds runs only.
 */
export interface DashboardSource {
  /** `workspace` or `store`. */
  readonly kind: string;
  /** Shown in the header: the workspace folder or the store's URI. */
  readonly label: string;
  readonly capabilities: { readonly experiments: boolean; readonly cancel: boolean };

  /** Every experiment; records that cannot be read are left out and named in `warnings`. */
  listExperiments(): Promise<{ experiments: ExperimentRow[]; warnings: WarningDto[] }>;
  experiment(id: string): Promise<ExperimentDetail>;
  /** A job's stdout/stderr lines, filtered; with `follow`, until the job ends or `signal` aborts. */
  jobLog(experimentId: string, job: string, options: JobLogOptions): AsyncIterable<JobLogLine>;
  /** Cancels one job (with its dependents) or, without `job`, every unfinished job of the experiment. */
  cancel(experimentId: string, job?: string): Promise<void>;

  /** Every run; runs that cannot be read are left out and named in `warnings`. */
  listRuns(): Promise<{ runs: RunRow[]; warnings: WarningDto[] }>;
  run(id: string): Promise<RunDetail>;
  /** Latest value of each `stream.field` key asked for, per run. */
  latestMetrics(
    ids: readonly string[],
    keys: readonly string[],
  ): Promise<Record<string, Record<string, number>>>;
  metric(id: string, stream: string, query: MetricQuery): Promise<MetricSeriesDto>;
  logs(id: string, query: LogQuery): Promise<RunLogRecord[]>;
  files(id: string): Promise<RunFileDto[]>;
  /** The bytes of a stored file, or undefined when there is none with that id. */
  file(id: string, fileId: string): Promise<FileContent | undefined>;

  close(): Promise<void>;
}

/** A file a listing or a view skipped (or read only in part) because it cannot be read, and why. */
export interface WarningDto {
  readonly file: string;
  readonly problem: string;
}

export interface JobCountsDto {
  readonly total: number;
  readonly [state: string]: number;
}

export interface ExperimentRow {
  readonly id: string;
  readonly title: string;
  readonly host: string;
  readonly user: string;
  readonly git: { readonly commit: string; readonly dirty: boolean; readonly branch?: string } | null;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly state: string;
  readonly jobs: JobCountsDto;
}

export interface JobRow {
  readonly index: number;
  readonly name: string;
  readonly task: string;
  readonly identity: string;
  readonly executor: string;
  readonly state: string;
  readonly reason?: string;
  readonly exitCode?: number;
  readonly attempt: number;
  readonly retries: number;
  readonly dependencies: readonly string[];
  readonly metrics?: Readonly<Record<string, number>>;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** The job's tracked run, as a run id of this source, when it has one. */
  readonly runId?: string;
}

export interface ServiceRow {
  readonly id: string;
  readonly description: string;
  readonly state: string;
  readonly url?: string;
}

export interface ExperimentDetail extends ExperimentRow {
  readonly dir?: string;
  readonly jobList: readonly JobRow[];
  readonly services: readonly ServiceRow[];
  /** Jobs left out (their job.json cannot be read), or a services.json that cannot be read. */
  readonly warnings: readonly WarningDto[];
}

export interface JobLogOptions {
  readonly follow: boolean;
  readonly regex?: string;
  readonly signal?: AbortSignal;
}

export interface JobLogLine {
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export interface RunRow {
  /** Opaque id used in URLs (for the workspace: the run's folder relative to the workspace). */
  readonly id: string;
  readonly prefix: string;
  readonly status: string;
  readonly statusReason: string | null;
  readonly tags: readonly string[];
  readonly createdAt: string | null;
  readonly endedAt: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly streams: readonly string[];
}

export interface MetricStreamDto {
  readonly name: string;
  readonly points: number;
  /** Numeric fields of the latest point (its values). */
  readonly latest: Readonly<Record<string, number>>;
}

export interface RunDetail extends RunRow {
  readonly description: string | null;
  readonly host: string | null;
  readonly startedAt: string | null;
  readonly error: unknown;
  readonly metrics: readonly MetricStreamDto[];
  /** Parts of the run that cannot be read (parameters, a stream's metadata, damaged lines, the files' list). */
  readonly warnings: readonly WarningDto[];
}

export interface MetricQuery {
  /** The x axis: "index", "step" (falls back to index), or "_ts" (wall time, epoch seconds). */
  readonly by: string;
  readonly field: string;
  readonly from?: number;
  readonly to?: number;
  readonly maxPoints: number;
}

export interface MetricSeriesDto {
  readonly x: number[];
  /** null where the point has no finite value for the field. */
  readonly y: (number | null)[];
  /** Points in the range before downsampling. */
  readonly total: number;
  readonly downsampled: boolean;
  /** A first look at a big series (evenly spaced points, extremes not kept): ask again shortly for the real one. */
  readonly approximate?: boolean;
  /** The whole series' x extent. */
  readonly xMin: number | null;
  readonly xMax: number | null;
  /** Wall time (epoch s) of the first point, for relative time. */
  readonly t0: number | null;
}

export interface LogQuery {
  readonly level?: string;
  readonly regex?: string;
  readonly tail?: number;
}

export interface RunLogRecord {
  readonly timestamp: string;
  readonly level: string;
  readonly message: string;
  /** The record's fields besides its message (`exp.log("…", epoch=3)`); absent when it has none. */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

export interface RunFileDto {
  readonly id: string;
  readonly path: string;
  readonly filename: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly uploadedAt: string;
}

export interface FileContent {
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly filename: string;
  readonly stream: () => ReadableStream<Uint8Array>;
}
