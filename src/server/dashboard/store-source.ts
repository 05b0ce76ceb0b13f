import { Readable } from "node:stream";
import { RunNotFoundError, UnknownExperimentError } from "../../errors.js";
import type { LogLevel, Store, StoredRun } from "../../store/store.js";
import type { FileStorage } from "../files/file-storage.js";
import type {
  DashboardSource,
  ExperimentDetail,
  ExperimentRow,
  FileContent,
  JobLogLine,
  LogQuery,
  MetricQuery,
  MetricSeriesDto,
  RunDetail,
  RunFileDto,
  RunLogRecord,
  RunRow,
  WarningDto,
} from "./dashboard-source.js";
import { ColumnSet, downsample } from "./metric-cache.js";

const levels: readonly LogLevel[] = ["debug", "info", "warn", "error", "fatal"];

/**
 * The dashboard over the team server's store (`labrun serve`): runs only, since experiments and jobs live in
 * the workspaces of the machines that launched them. A run's id is the store's run id.
 *
 * Metric streams are read once into columns and kept (the newest 64), then only the points added since are
 * read: the store's range reads go by point index, and the charts' x axis may be a step or a time.
 */
export class StoreSource implements DashboardSource {
  readonly kind = "store";
  readonly label: string;
  readonly capabilities = { experiments: false, cancel: false } as const;
  readonly #store: Store;
  readonly #files: FileStorage | undefined;
  readonly #columns = new Map<string, ColumnSet>();
  #runsCache: { at: number; rows: Promise<RunRow[]> } | undefined;

  constructor(store: Store, options: { files?: FileStorage; label?: string } = {}) {
    this.#store = store;
    this.#files = options.files;
    this.label = options.label ?? `${store.kind} store`;
  }

  async listExperiments(): Promise<{ experiments: ExperimentRow[]; warnings: WarningDto[] }> {
    return { experiments: [], warnings: [] };
  }

  async experiment(id: string): Promise<ExperimentDetail> {
    throw new UnknownExperimentError(id, this.label);
  }

  // eslint-disable-next-line require-yield
  async *jobLog(experimentId: string): AsyncIterable<JobLogLine> {
    throw new UnknownExperimentError(experimentId, this.label);
  }

  async cancel(experimentId: string): Promise<void> {
    throw new UnknownExperimentError(experimentId, this.label);
  }

  async listRuns(): Promise<{ runs: RunRow[]; warnings: WarningDto[] }> {
    const now = Date.now();
    if (!this.#runsCache || now - this.#runsCache.at > 2000)
      this.#runsCache = { at: now, rows: this.#readRuns() };
    return { runs: await this.#runsCache.rows, warnings: [] };
  }

  async #readRuns(): Promise<RunRow[]> {
    const rows: RunRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.searchRuns({
        limit: 1000,
        sort: "prefix",
        order: "asc",
        ...(cursor ? { cursor } : {}),
      });
      for (const run of page.runs) {
        const streams = [
          ...new Set(Object.keys(run.latestMetrics).map((key) => key.slice(0, key.indexOf(".")))),
        ];
        rows.push({ ...(await this.#row(run)), streams: streams.sort() });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  }

  async #row(run: StoredRun): Promise<RunRow> {
    return {
      id: run.id,
      prefix: run.prefix,
      status: run.status,
      statusReason: run.error ?? null,
      tags: run.tags,
      createdAt: run.createdAt,
      endedAt: run.endedAt ?? null,
      params: await this.#store.getParams(run.id),
      streams: [],
    };
  }

  async #run(id: string): Promise<StoredRun> {
    const run = await this.#store.getRun(id);
    if (!run) throw new RunNotFoundError(id);
    return run;
  }

  async run(id: string): Promise<RunDetail> {
    const run = await this.#run(id);
    const streams = await this.#store.listMetricStreams(id);
    return {
      ...(await this.#row(run)),
      streams: streams.map((s) => s.stream),
      description: run.description ?? null,
      warnings: [],
      host: typeof run.metadata.host === "string" ? run.metadata.host : null,
      startedAt: run.createdAt,
      error: run.error ?? null,
      metrics: streams.map((s) => ({
        name: s.stream,
        points: s.count,
        latest: Object.fromEntries(
          Object.entries(s.summary).flatMap(([field, summary]) =>
            typeof summary.last === "number" ? [[field, summary.last]] : [],
          ),
        ),
      })),
    };
  }

  async latestMetrics(
    ids: readonly string[],
    keys: readonly string[],
  ): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const id of ids) {
      const values: Record<string, number> = {};
      for (const s of await this.#store.listMetricStreams(id))
        for (const [field, summary] of Object.entries(s.summary))
          if (typeof summary.last === "number" && keys.includes(`${s.stream}.${field}`))
            values[`${s.stream}.${field}`] = summary.last;
      out[id] = values;
    }
    return out;
  }

  async metric(id: string, stream: string, query: MetricQuery): Promise<MetricSeriesDto> {
    const columns = await this.#columnsOf(id, stream);
    const x = columns.column(query.by) ?? columns.column("index")!;
    const y = columns.column(query.field);
    const ts = columns.column("_ts");
    const result = y
      ? downsample(x, y, query, query.maxPoints)
      : { x: [], y: [], total: 0, downsampled: false };
    return {
      ...result,
      xMin: x.length > 0 ? x[0]! : null,
      xMax: x.length > 0 ? x[x.length - 1]! : null,
      t0: ts && ts.length > 0 && Number.isFinite(ts[0]) ? ts[0]! : null,
    };
  }

  async #columnsOf(id: string, stream: string): Promise<ColumnSet> {
    const key = `${id}\u0000${stream}`;
    let columns = this.#columns.get(key);
    if (columns) this.#columns.delete(key);
    else columns = new ColumnSet();
    this.#columns.set(key, columns);
    if (this.#columns.size > 64) this.#columns.delete(this.#columns.keys().next().value!);
    // Only the points stored since the last read.
    for (;;) {
      const series = await this.#store.readMetrics(id, stream, {
        from: columns.count,
        to: columns.count + 100_000,
      });
      for (const point of series.points) columns.add(point.index, { ...point.fields, _ts: point.ts });
      if (series.points.length === 0 || columns.count >= series.count) break;
    }
    return columns;
  }

  async logs(id: string, query: LogQuery): Promise<RunLogRecord[]> {
    const from = query.level ? levels.indexOf(query.level as LogLevel) : 0;
    const logs = await this.#store.queryLogs(id, {
      ...(from > 0 ? { levels: levels.slice(from) } : {}),
      ...(query.regex ? { regex: query.regex } : {}),
      tail: query.tail ?? 5000,
    });
    return logs.map((l) => ({ timestamp: l.timestamp, level: l.level, message: l.message }));
  }

  async files(id: string): Promise<RunFileDto[]> {
    await this.#run(id);
    return (await this.#store.listFiles(id)).map((f) => ({
      id: f.id,
      path: `/${f.prefix}`,
      filename: f.filename,
      contentType: f.contentType ?? "application/octet-stream",
      sizeBytes: f.size,
      uploadedAt: f.createdAt,
    }));
  }

  async file(id: string, fileId: string): Promise<FileContent | undefined> {
    const record = await this.#store.getFile(id, fileId);
    const blob = record && this.#files ? await this.#files.get(record.storageKey) : undefined;
    if (!record || !blob) return undefined;
    return {
      contentType: record.contentType ?? "application/octet-stream",
      sizeBytes: blob.size,
      filename: record.filename,
      stream: () => Readable.toWeb(blob.stream) as ReadableStream<Uint8Array>,
    };
  }

  async close(): Promise<void> {}
}
