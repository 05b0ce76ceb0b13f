import type { Readable as NodeReadable } from "node:stream";
import { Readable } from "node:stream";
import { RunNotFoundError, UnknownExperimentError } from "../../errors.js";
import type { JsonValue } from "../../format/json-codec.js";
import type { LogLevel, MetricPoint, Store, StoredRun } from "../../store/store.js";
import {
  RecordWarnings,
  recordWarningOf,
  isCorruptRecord,
  type OnRecordWarning,
} from "../../util/record-warning.js";
import type {
  DashboardSource,
  ExperimentDetail,
  ExperimentRow,
  FileContent,
  JobLogLine,
  JobLogOptions,
  LogQuery,
  MetricQuery,
  MetricSeriesDto,
  RunDetail,
  RunFileDto,
  RunLogRecord,
  RunRow,
  WarningDto,
} from "./dashboard-source.js";
import type { ExperimentsView } from "./workspace-experiments.js";

const levels: readonly LogLevel[] = ["debug", "info", "warn", "error", "fatal"];
/** The URL and folder name of ML-Dash's unnamed stream (`""` in a Store). */
const unnamed = "None";
const storeStream = (name: string) => (name === unnamed ? "" : name);
const streamName = (stream: string) => (stream === "" ? unnamed : stream);

/** Where the bytes of stored files are: the server's `FileStorage`, or the run folders of a workspace. */
export interface FileBytes {
  get(key: string): Promise<{ readonly stream: NodeReadable; readonly size: number } | undefined>;
}

export interface StoreSourceOptions {
  /** The bytes of the runs' files, by their records' `storageKey`. */
  readonly files?: FileBytes;
  /** Shown in the header (default: the store's kind). */
  readonly label?: string;
  /** Experiments and jobs (a local workspace's); without, the dashboard shows runs only. */
  readonly experiments?: ExperimentsView;
}

/**
 * The dashboard's one source: runs read through a `Store` (the run folders of a workspace for `labrun ui`,
 * SQLite or PostgreSQL for `labrun serve`), metric charts downsampled by the store itself; experiments,
 * when there are some, from the workspace's index (`ExperimentsView`). A run's id is the store's run id.
 */
export class StoreSource implements DashboardSource {
  readonly kind: string;
  readonly label: string;
  readonly capabilities: { readonly experiments: boolean; readonly cancel: boolean };
  readonly store: Store;
  readonly #files: FileBytes | undefined;
  readonly #experiments: ExperimentsView | undefined;
  #runsCache: { at: number; rows: Promise<{ runs: RunRow[]; warnings: WarningDto[] }> } | undefined;

  constructor(store: Store, options: StoreSourceOptions = {}) {
    this.store = store;
    this.#files = options.files;
    this.#experiments = options.experiments;
    this.kind = options.experiments ? "workspace" : "store";
    this.label = options.label ?? `${store.kind} store`;
    const experiments = options.experiments !== undefined;
    this.capabilities = { experiments, cancel: experiments };
  }

  async listExperiments(): Promise<{ experiments: ExperimentRow[]; warnings: WarningDto[] }> {
    return this.#experiments?.listExperiments() ?? { experiments: [], warnings: [] };
  }

  async experiment(id: string): Promise<ExperimentDetail> {
    if (!this.#experiments) throw new UnknownExperimentError(id, this.label);
    return this.#experiments.experiment(id);
  }

  async *jobLog(experimentId: string, job: string, options: JobLogOptions): AsyncIterable<JobLogLine> {
    if (!this.#experiments) throw new UnknownExperimentError(experimentId, this.label);
    yield* this.#experiments.jobLog(experimentId, job, options);
  }

  async cancel(experimentId: string, job?: string): Promise<void> {
    if (!this.#experiments) throw new UnknownExperimentError(experimentId, this.label);
    return this.#experiments.cancel(experimentId, job);
  }

  async listRuns(): Promise<{ runs: RunRow[]; warnings: WarningDto[] }> {
    // Several panels and tabs ask at once; the store is searched at most every 2 s.
    const now = Date.now();
    if (!this.#runsCache || now - this.#runsCache.at > 2000) {
      const rows = this.#readRuns();
      this.#runsCache = { at: now, rows };
      rows.catch(() => (this.#runsCache = undefined));
    }
    return this.#runsCache.rows;
  }

  async #readRuns(): Promise<{ runs: RunRow[]; warnings: WarningDto[] }> {
    const warnings = new RecordWarnings();
    const runs: RunRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.searchRuns({
        limit: 1000,
        sort: "prefix",
        order: "asc",
        latestMetrics: false,
        ...(cursor ? { cursor } : {}),
      });
      if (!cursor) for (const problem of (await this.store.problems?.()) ?? []) warnings.add(problem);
      for (const run of page.runs) {
        const streams = await this.store.listMetricStreams(run.id, { summary: false }).catch(() => []);
        runs.push(
          await this.#row(
            run,
            warnings.add,
            streams.map((s) => streamName(s.stream)),
          ),
        );
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { runs, warnings: warnings.list };
  }

  async #row(run: StoredRun, warn: OnRecordWarning, streams: readonly string[] = []): Promise<RunRow> {
    let params: Readonly<Record<string, JsonValue>> = {};
    try {
      params = await this.store.getParams(run.id);
    } catch (error) {
      if (!isCorruptRecord(error)) throw error;
      warn(recordWarningOf(error));
    }
    return {
      id: run.id,
      prefix: run.prefix,
      status: run.folder?.status ?? run.status,
      statusReason: run.folder ? run.folder.reason : (run.error ?? null),
      tags: run.tags,
      createdAt: run.createdAt || null,
      endedAt: run.endedAt ?? null,
      params,
      streams,
    };
  }

  async #run(id: string): Promise<StoredRun> {
    const run = await this.store.getRun(id);
    if (!run || run.deleted) throw new RunNotFoundError(id);
    return run;
  }

  async run(id: string): Promise<RunDetail> {
    const run = await this.#run(id);
    const warnings = new RecordWarnings();
    const streams = await this.store.listMetricStreams(id, { summary: false });
    const row = await this.#row(
      run,
      warnings.add,
      streams.map((s) => streamName(s.stream)),
    );
    for (const problem of (await this.store.problems?.(id)) ?? []) warnings.add(problem);
    const metrics = [];
    for (const s of streams) {
      const [last] = (await this.store.readMetrics(id, s.stream, { last: 1 })).points;
      metrics.push({ name: streamName(s.stream), points: s.count, latest: numbers(last) });
    }
    return {
      ...row,
      warnings: warnings.list,
      description: run.description ?? null,
      host: run.folder ? run.folder.host : typeof run.metadata.host === "string" ? run.metadata.host : null,
      startedAt: run.folder ? run.folder.startedAt : run.createdAt,
      error: run.error ?? null,
      metrics,
    };
  }

  async latestMetrics(
    ids: readonly string[],
    keys: readonly string[],
  ): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const id of ids) {
      await this.#run(id);
      // A key is `stream.field`, and both may hold dots (`val.loss.mean`): the longest stream of the run
      // that the key starts with is its stream.
      const names = (await this.store.listMetricStreams(id, { summary: false }))
        .map((s) => streamName(s.stream))
        .sort((a, b) => b.length - a.length);
      const byStream = new Map<string, string[]>();
      for (const key of keys) {
        const stream = names.find((name) => key.startsWith(`${name}.`));
        if (stream !== undefined)
          byStream.set(stream, [...(byStream.get(stream) ?? []), key.slice(stream.length + 1)]);
      }
      const values: Record<string, number> = {};
      for (const [stream, fields] of byStream) {
        const series = await this.store
          .readMetrics(id, storeStream(stream), { last: 1, fields })
          .catch(() => undefined);
        for (const [field, value] of Object.entries(numbers(series?.points[0])))
          values[`${stream}.${field}`] = value;
      }
      out[id] = values;
    }
    return out;
  }

  async metric(id: string, stream: string, query: MetricQuery): Promise<MetricSeriesDto> {
    const name = storeStream(stream);
    const first = (await this.store.readMetrics(id, name, { from: 0, to: 1 })).points[0];
    // A stream without the field asked for as x (step) is drawn against the index.
    let by = query.by === "_ts" ? "ts" : query.by;
    if (by !== "index" && by !== "ts" && typeof first?.fields[by] !== "number") by = "index";
    const xOf = (p: MetricPoint & { index: number }) =>
      by === "index" ? p.index : by === "ts" ? p.ts : (p.fields[by] as number);
    const range =
      by === "index"
        ? {
            ...(query.from !== undefined ? { from: Math.max(0, Math.ceil(query.from)) } : {}),
            ...(query.to !== undefined ? { to: Math.max(0, Math.floor(query.to) + 1) } : {}),
          }
        : {
            ...(query.from !== undefined ? { from: query.from } : {}),
            ...(query.to !== undefined ? { to: query.to } : {}),
          };
    const series = await this.store.readMetrics(id, name, {
      by,
      ...range,
      edges: true,
      maxPoints: query.maxPoints,
      fields: [query.field],
      approximate: true,
    });
    const x: number[] = [];
    const y: (number | null)[] = [];
    let found = false;
    for (const point of series.points) {
      const value = point.fields[query.field];
      if (value !== undefined) found = true;
      x.push(xOf(point));
      y.push(typeof value === "number" && Number.isFinite(value) ? value : null);
    }
    const t0 = first && Number.isFinite(first.ts) ? first.ts : null;
    if (series.approximate)
      return {
        x,
        y,
        total: series.count,
        downsampled: true,
        approximate: true,
        xMin: x[0] ?? null,
        xMax: x.at(-1) ?? null,
        t0,
      };
    const [last] = (await this.store.readMetrics(id, name, { last: 1 })).points;
    const extent = (p: (MetricPoint & { index: number }) | undefined) => {
      const v = p ? xOf(p) : undefined;
      return typeof v === "number" && Number.isFinite(v) ? v : null;
    };
    if (!found)
      return { x: [], y: [], total: 0, downsampled: false, xMin: extent(first), xMax: extent(last), t0 };
    return {
      x,
      y,
      total: series.inRange ?? series.points.length,
      downsampled: series.downsampled,
      xMin: extent(first),
      xMax: extent(last),
      t0,
    };
  }

  async logs(id: string, query: LogQuery): Promise<RunLogRecord[]> {
    const from = query.level ? levels.indexOf(query.level as LogLevel) : 0;
    const logs = await this.store.queryLogs(id, {
      ...(from > 0 ? { levels: levels.slice(from) } : {}),
      ...(query.regex ? { regex: query.regex } : {}),
      tail: query.tail ?? 5000,
    });
    return logs.map((l) => ({
      timestamp: l.timestamp,
      level: l.level,
      message: l.message,
      ...(l.metadata && Object.keys(l.metadata).length > 0 ? { metadata: l.metadata } : {}),
    }));
  }

  async files(id: string): Promise<RunFileDto[]> {
    await this.#run(id);
    // A damaged files list is named in the run's warnings; here it lists nothing.
    const files = await this.store.listFiles(id).catch((error: unknown) => {
      if (isCorruptRecord(error)) return [];
      throw error;
    });
    return files.map((f) => ({
      id: f.id,
      path: `/${f.prefix}`,
      filename: f.filename,
      contentType: f.contentType ?? "application/octet-stream",
      sizeBytes: f.size,
      uploadedAt: f.createdAt,
    }));
  }

  async file(id: string, fileId: string): Promise<FileContent | undefined> {
    const record = await this.store.getFile(id, fileId);
    const blob = record && this.#files ? await this.#files.get(record.storageKey) : undefined;
    if (!record || !blob) return undefined;
    return {
      contentType: record.contentType ?? "application/octet-stream",
      sizeBytes: blob.size,
      filename: record.filename,
      stream: () => Readable.toWeb(blob.stream) as ReadableStream<Uint8Array>,
    };
  }

  /** The store stays open: it belongs to whoever gave it (the team server closes its own). */
  async close(): Promise<void> {}
}

/** The numeric fields of a point (the values a chart or a column shows). */
function numbers(point: MetricPoint | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(point?.fields ?? {}))
    if (typeof value === "number") out[key] = value;
  return out;
}
