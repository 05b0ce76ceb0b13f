import { createReadStream, existsSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
// Every built-in task and executor kind (script, typed, partial; local, direct, slurm), to reopen any experiment.
import { RunNotFoundError } from "../../errors.js";
import { Experiment } from "../../experiment/experiment.js";
import { listExperiments } from "../../experiment/experiment-index.js";
import { experimentState } from "../../experiment/experiment-record.js";
import { findExperimentDir, readExperimentRecord } from "../../experiment/experiment-store.js";
import { readServicesRecord } from "../../experiment/services/services-record.js";
import type { JobStatus } from "../../experiment/status-report.js";
import { listRuns } from "../../tracking/list-runs.js";
import { readLogs } from "../../tracking/log-read.js";
import { lastMetricPoint, metricDataFile } from "../../tracking/metric-read.js";
import { unnamedMetricDir } from "../../format/names.js";
import { readParams } from "../../tracking/params.js";
import { readFileRecords, storedFilePath } from "../../tracking/run-files.js";
import { toRunInfo, type RunInfo } from "../../tracking/run-info.js";
import { readRunRecord } from "../../tracking/run-record.js";
import { RunReader } from "../../tracking/run-reader.js";
import { Workspace } from "../../workspace/workspace.js";
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
import { RecordWarnings, skipCorrupt, type OnRecordWarning } from "../../util/record-warning.js";
import { jsonlProblem } from "../../format/jsonl-file.js";
import { MetricCache, downsample, samplePoints } from "./metric-cache.js";
import { subdirectories } from "../../util/subdirectories.js";

// Metric files above this size are first answered with a sample while they are parsed.
const sampleAboveBytes = 32 * 2 ** 20;

/**
 * The dashboard over a local workspace: experiments from its index (`index.sqlite`, kept up to date with
 * the files), jobs and cancellation through `Experiment`, runs from `<workspace>/runs` and from the jobs'
 * own `run/` folders. A run's id is its folder relative to the workspace.
 */
export class WorkspaceSource implements DashboardSource {
  readonly kind = "workspace";
  readonly label: string;
  readonly capabilities = { experiments: true, cancel: true } as const;
  readonly workspace: Workspace;
  readonly #metrics = new MetricCache();
  #runsCache: { at: number; rows: { runs: RunRow[]; warnings: WarningDto[] } } | undefined;

  constructor(root?: string) {
    this.workspace = new Workspace(root);
    this.label = this.workspace.root;
  }

  async listExperiments(): Promise<{ experiments: ExperimentRow[]; warnings: WarningDto[] }> {
    const warnings = new RecordWarnings();
    const { experiments } = listExperiments(this.workspace, {}, { onWarning: warnings.add });
    const rows = experiments.map((e) => ({
      id: e.id,
      title: e.title,
      host: e.host,
      user: e.user,
      git: e.git,
      createdAt: e.createdAt,
      ...(e.finishedAt ? { finishedAt: e.finishedAt } : {}),
      state: e.state,
      jobs: e.jobs,
    }));
    return { experiments: rows, warnings: warnings.list };
  }

  async experiment(id: string): Promise<ExperimentDetail> {
    const dir = findExperimentDir(this.workspace, id);
    const record = readExperimentRecord(dir)!;
    const warnings = new RecordWarnings();
    const exp = Experiment.fromDir(dir, { cleanMode: true, onUnreadableJob: warnings.add });
    const jobs = Object.values(
      await exp.status({ returnDict: true, onWarning: warnings.add }),
    ) as JobStatus[];
    const counts: Record<string, number> = {};
    for (const job of jobs) counts[job.state] = (counts[job.state] ?? 0) + 1;
    return {
      id: record.id,
      title: record.title,
      host: record.host,
      user: record.user,
      git: record.git
        ? {
            commit: record.git.commit,
            dirty: record.git.dirty,
            ...(record.git.branch ? { branch: record.git.branch } : {}),
          }
        : null,
      createdAt: record.createdAt,
      ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
      state: experimentState(
        jobs.map((job) => job.state),
        record.launchedAt !== undefined,
      ),
      jobs: { ...counts, total: jobs.length },
      dir,
      jobList: jobs.map((job) => {
        const runDir = join(job.directory, "run");
        return {
          index: job.index,
          name: job.name,
          task: job.task,
          identity: basename(job.directory),
          executor: job.executor,
          state: job.state,
          ...(job.reason ? { reason: job.reason } : {}),
          ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
          attempt: job.attempt,
          retries: job.retries,
          dependencies: job.dependencies,
          ...(job.metrics ? { metrics: job.metrics } : {}),
          ...(job.startedAt ? { startedAt: job.startedAt } : {}),
          ...(job.endedAt ? { endedAt: job.endedAt } : {}),
          ...(existsSync(join(runDir, "experiment.json")) ? { runId: this.#runId(runDir) } : {}),
        };
      }),
      services: readServicesRecord(dir, warnings.add).map((s) => ({
        id: s.id,
        description: s.description,
        state: s.state,
        ...(s.url ? { url: s.url } : {}),
      })),
      warnings: warnings.list,
    };
  }

  async *jobLog(experimentId: string, job: string, options: JobLogOptions): AsyncIterable<JobLogLine> {
    // The other jobs' logs stay readable when one job's record is damaged (asking for that one is an error).
    const exp = Experiment.fromDir(findExperimentDir(this.workspace, experimentId), {
      cleanMode: true,
      onUnreadableJob: () => undefined,
    });
    for await (const { stream, line } of exp.logStream(job, {
      follow: options.follow,
      ...(options.regex ? { regex: options.regex } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }))
      yield { stream, line };
  }

  async cancel(experimentId: string, job?: string): Promise<void> {
    const exp = await Experiment.fromId(experimentId, { baseDir: this.workspace.root, cleanMode: true });
    if (job === undefined) await exp.cancelAll();
    else await exp.cancel(job);
  }

  async listRuns(): Promise<{ runs: RunRow[]; warnings: WarningDto[] }> {
    // Several panels and tabs ask at once; the folders are walked at most every 2 s.
    const now = Date.now();
    if (!this.#runsCache || now - this.#runsCache.at > 2000)
      this.#runsCache = { at: now, rows: this.#readRuns() };
    return this.#runsCache.rows;
  }

  #readRuns(): { runs: RunRow[]; warnings: WarningDto[] } {
    const warnings = new RecordWarnings();
    const runsRoot = join(this.workspace.root, "runs");
    const infos: RunInfo[] = [];
    if (existsSync(runsRoot)) {
      const listed = listRuns({ root: runsRoot });
      infos.push(...listed.runs);
      for (const warning of listed.warnings) warnings.add(warning);
    }
    // A job's run is always jobs/<task>/<identity>/run: look there only, rather than walk every job folder.
    const now = Date.now();
    for (const task of subdirectories(join(this.workspace.root, "jobs")))
      for (const identity of subdirectories(join(this.workspace.root, "jobs", task))) {
        const dir = join(this.workspace.root, "jobs", task, identity, "run");
        if (!existsSync(join(dir, "experiment.json"))) continue;
        const record = skipCorrupt(() => readRunRecord(dir), undefined, warnings.add);
        if (record) infos.push(toRunInfo(dir, record, now));
      }
    const runs = infos.map((info) => this.#row(info, warnings.add));
    return { runs, warnings: warnings.list };
  }

  #row(info: RunInfo, warn: OnRecordWarning): RunRow {
    return {
      id: this.#runId(info.dir),
      prefix: info.prefix,
      status: info.status,
      statusReason: info.statusReason,
      tags: info.tags,
      createdAt: info.createdAt,
      endedAt: info.endedAt,
      params: skipCorrupt(() => readParams(info.dir), {}, warn),
      streams: streamNames(info.dir),
    };
  }

  async run(id: string): Promise<RunDetail> {
    const dir = this.#runDir(id);
    const reader = RunReader.openDir(dir);
    const info = reader.info();
    const warnings = new RecordWarnings();
    const metrics = reader.metrics.list();
    skipCorrupt(() => readFileRecords(dir), [], warnings.add);
    // Damaged lines, read whole only in small files: this view is asked for again every few seconds.
    const writing = info.status === "RUNNING";
    const jsonlFiles: { file: string; expectedLines?: number }[] = [
      ...metrics.map((m) => ({ file: metricDataFile(dir, m.name), expectedLines: m.totalDataPoints })),
      { file: join(dir, "logs", "logs.jsonl") },
    ];
    for (const { file, expectedLines } of jsonlFiles) {
      const problem = await jsonlProblem(file, {
        writing,
        wholeBelowBytes: 2 ** 20,
        ...(expectedLines ? { expectedLines } : {}),
      });
      if (problem) warnings.add({ file, problem });
    }
    for (const warning of reader.warnings.list) warnings.add(warning);
    return {
      ...this.#row(info, warnings.add),
      warnings: warnings.list,
      description: info.description,
      host: info.host,
      startedAt: info.startedAt,
      error: info.error,
      metrics: metrics.map((summary) => {
        const last = lastMetricPoint(dir, summary.name);
        const latest: Record<string, number> = {};
        for (const [key, value] of Object.entries(last?.data ?? {}))
          if (typeof value === "number" && key !== "_ts") latest[key] = value;
        return { name: summary.name ?? unnamedMetricDir, points: summary.totalDataPoints, latest };
      }),
    };
  }

  async latestMetrics(
    ids: readonly string[],
    keys: readonly string[],
  ): Promise<Record<string, Record<string, number>>> {
    const streams = [...new Set(keys.map((key) => key.slice(0, Math.max(0, key.indexOf(".")))))];
    const out: Record<string, Record<string, number>> = {};
    for (const id of ids) {
      const dir = this.#runDir(id);
      const values: Record<string, number> = {};
      for (const stream of streams) {
        const last = safe(() => lastMetricPoint(dir, stream === unnamedMetricDir ? null : stream), undefined);
        for (const [field, value] of Object.entries(last?.data ?? {}))
          if (typeof value === "number" && keys.includes(`${stream}.${field}`))
            values[`${stream}.${field}`] = value;
      }
      out[id] = values;
    }
    return out;
  }

  async metric(id: string, stream: string, query: MetricQuery): Promise<MetricSeriesDto> {
    const dir = this.#runDir(id);
    const file = metricDataFile(dir, stream === unnamedMetricDir ? null : stream);
    if (!this.#metrics.has(file) && safe(() => statSync(file).size, 0) > sampleAboveBytes)
      return this.#sampled(file, dir, stream, query);
    const columns = this.#metrics.get(file);
    const byField = query.by === "index" ? "index" : query.by;
    const x = columns.column(byField) ?? columns.column("index")!;
    const y = columns.column(query.field);
    const ts = columns.column("_ts");
    const empty = { x: [], y: [], total: 0, downsampled: false };
    const result = y ? downsample(x, y, query, query.maxPoints) : empty;
    return {
      ...result,
      xMin: x.length > 0 ? x[0]! : null,
      xMax: x.length > 0 ? x[x.length - 1]! : null,
      t0: ts && ts.length > 0 && Number.isFinite(ts[0]) ? ts[0]! : null,
    };
  }

  /**
   * A big file not parsed yet: evenly spaced points read where they lie (milliseconds, where parsing 100 MB
   * takes a second or more), marked approximate; the full parse starts right after this answer is sent.
   */
  #sampled(file: string, dir: string, stream: string, query: MetricQuery): MetricSeriesDto {
    const points = samplePoints(file, Math.min(query.maxPoints, 4000));
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    for (const point of points) {
      const x = query.by === "index" ? point.index : (point.data[query.by] ?? point.index);
      const y = point.data[query.field];
      if (typeof x !== "number") continue;
      if (query.from !== undefined && x < query.from) continue;
      if (query.to !== undefined && x > query.to) continue;
      xs.push(x);
      ys.push(typeof y === "number" && Number.isFinite(y) ? y : null);
    }
    const last = lastMetricPoint(dir, stream === unnamedMetricDir ? null : stream);
    const ts = points[0]?.data._ts;
    // After this answer has left: the parse holds the process for a while.
    setTimeout(() => this.#metrics.get(file), 100);
    return {
      x: xs,
      y: ys,
      total: last ? last.index + 1 : xs.length,
      downsampled: true,
      approximate: true,
      xMin: xs[0] ?? null,
      xMax: xs.at(-1) ?? null,
      t0: typeof ts === "number" ? ts : null,
    };
  }

  async logs(id: string, query: LogQuery): Promise<RunLogRecord[]> {
    const { records } = await readLogs(this.#runDir(id), {
      ...(query.level ? { level: query.level } : {}),
      ...(query.regex ? { regex: query.regex } : {}),
      tail: query.tail ?? 5000,
    });
    return records.map((r) => ({ timestamp: r.timestamp, level: r.level, message: r.message }));
  }

  async files(id: string): Promise<RunFileDto[]> {
    // A damaged files list is named in the run's warnings; here it lists nothing.
    return skipCorrupt(() => readFileRecords(this.#runDir(id)), [], undefined).map((f) => ({
      id: f.id,
      path: f.path,
      filename: f.filename,
      contentType: f.contentType,
      sizeBytes: f.sizeBytes,
      uploadedAt: f.uploadedAt,
    }));
  }

  async file(id: string, fileId: string): Promise<FileContent | undefined> {
    const dir = this.#runDir(id);
    const record = readFileRecords(dir).find((f) => f.id === fileId);
    if (!record) return undefined;
    const path = storedFilePath(dir, record);
    if (!existsSync(path)) return undefined;
    return {
      contentType: record.contentType,
      sizeBytes: statSync(path).size,
      filename: record.filename,
      stream: () => Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
    };
  }

  async close(): Promise<void> {}

  #runId(dir: string): string {
    return relative(this.workspace.root, dir).split(sep).join("/");
  }

  /** The folder of a run id; ids that leave the workspace or name no run are not found. */
  #runDir(id: string): string {
    const dir = resolve(this.workspace.root, id);
    if (!dir.startsWith(this.workspace.root + sep) || !existsSync(join(dir, "experiment.json")))
      throw new RunNotFoundError(dir);
    return dir;
  }
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function streamNames(dir: string): string[] {
  return subdirectories(join(dir, "metrics"));
}
