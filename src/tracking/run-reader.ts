import { join, resolve } from "node:path";
import { RunNotFoundError } from "../errors.js";
import { readJsonObject } from "../format/json-file.js";
import { scanJsonl } from "../format/jsonl-file.js";
import { readLogs, type LogReadOptions, type LogReadResult } from "./log-read.js";
import {
  lastMetricPoint,
  readMetric,
  type MetricPoint,
  type MetricReadOptions,
  type MetricReadResult,
} from "../format/metric-read.js";
import { defaultRunsRoot, runDirFor, trackDirName, unnamedMetricDir } from "../format/names.js";
import {
  readParams,
  unflattenParams,
  type FlatParams,
  type NestedParams,
  type ParamsGetOptions,
} from "./params.js";
import { RunFiles, readFileRecords, type FileRecord } from "./run-files.js";
import { toRunInfo, type RunInfo } from "./run-info.js";
import { readRunRecord, type ReportedStatus } from "../format/run-record.js";
import { subdirectories } from "../util/subdirectories.js";
import { RecordWarnings, skipCorrupt, type OnRecordWarning } from "../util/record-warning.js";

export interface OpenOptions {
  /** Folder of runs; default `$LABRUN_RUNS`, else `<$LABRUN_HOME or ~/.labrun>/runs`. */
  readonly root?: string;
}

/** A metric stream as listed by `run.metrics.list()`. */
export interface MetricSummary {
  /** null for the unnamed stream (folder `None`). */
  readonly name: string | null;
  readonly totalDataPoints: number;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export interface TrackEntry {
  readonly timestamp: number;
  readonly [field: string]: unknown;
}

/** Reading one metric stream of a run. */
export class MetricReader {
  readonly name: string | null;
  readonly #dir: string;

  /** @internal */
  constructor(dir: string, name: string | null) {
    this.#dir = dir;
    this.name = name;
  }

  /**
   * Points in a range, optionally downsampled keeping minima and maxima.
   *
   * @example const { points } = await Run.open("alice/vision/resnet").metrics("train").read({ maxPoints: 1000 });
   */
  read(options?: MetricReadOptions): Promise<MetricReadResult> {
    return readMetric(this.#dir, this.name, options);
  }

  /** The last point, reading only the end of the file. */
  last(): MetricPoint | undefined {
    return lastMetricPoint(this.#dir, this.name);
  }
}

/** A run opened for reading (`Run.open(prefix)`); every call reads the files afresh. */
export class RunReader {
  readonly dir: string;
  readonly params: { get(options?: ParamsGetOptions): FlatParams | NestedParams };
  readonly metrics: ((name: string | null) => MetricReader) & { list(): MetricSummary[] };
  readonly logs: { read(options?: LogReadOptions): Promise<LogReadResult> };
  readonly tracks: ((topic: string) => {
    read(options?: { from?: number; to?: number }): Promise<TrackEntry[]>;
  }) & {
    list(): string[];
  };
  /**
   * Files this reader found damaged and worked around (a stream's or a track's metadata.json): listings of
   * streams and tracks go on without them, and name them here.
   */
  readonly warnings = new RecordWarnings();

  private constructor(dir: string) {
    this.dir = dir;
    const warn = this.warnings.add;
    this.params = {
      get: (options = {}) => (options.flatten === false ? unflattenParams(readParams(dir)) : readParams(dir)),
    };
    this.metrics = Object.assign((name: string | null) => new MetricReader(dir, name), {
      list: () => listMetrics(dir, warn),
    });
    this.logs = { read: (options) => readLogs(dir, options) };
    this.tracks = Object.assign(
      (topic: string) => ({ read: (options = {}) => readTrack(dir, topic, options) }),
      {
        list: () =>
          subdirectories(join(dir, "tracks")).flatMap((folder) => {
            const file = join(dir, "tracks", folder, "metadata.json");
            const topic = skipCorrupt(() => readJsonObject(file), undefined, warn)?.topic;
            return typeof topic === "string" ? [topic] : [];
          }),
      },
    );
  }

  /**
   * The run at `<root>/<prefix>`. Throws RunNotFoundError when it has no experiment.json, CorruptRecordError
   * when its experiment.json cannot be read.
   */
  static open(prefix: string, options: OpenOptions = {}): RunReader {
    return RunReader.openDir(runDirFor(options.root ?? defaultRunsRoot(), prefix));
  }

  /** The run in a folder (e.g. a launched job's `run/`). */
  static openDir(dir: string): RunReader {
    const folder = resolve(dir);
    if (readRunRecord(folder) === undefined) throw new RunNotFoundError(folder);
    return new RunReader(folder);
  }

  /** experiment.json, with the status derived. */
  info(): RunInfo {
    const record = readRunRecord(this.dir);
    if (!record) throw new RunNotFoundError(this.dir);
    return toRunInfo(this.dir, record);
  }

  get status(): ReportedStatus {
    return this.info().status;
  }

  get prefix(): string {
    return this.info().prefix;
  }

  /** Stored files: all of them, or one folder's (`files("models").list()`, `.download(name)`). */
  files(folder?: string): RunFiles {
    return new RunFiles(this.dir, folder);
  }

  /** Every live stored file. */
  listFiles(): FileRecord[] {
    return readFileRecords(this.dir);
  }
}

function listMetrics(dir: string, warn: OnRecordWarning): MetricSummary[] {
  return subdirectories(join(dir, "metrics")).map((folder) => {
    const name = folder === unnamedMetricDir ? null : folder;
    const file = join(dir, "metrics", folder, "metadata.json");
    const read = skipCorrupt(() => readJsonObject(file), null, warn);
    const meta = read ?? {};
    // The data file is the truth: with its metadata damaged, the count comes from its last point.
    const counted = read === null ? (lastMetricPoint(dir, name)?.index ?? -1) + 1 : 0;
    return {
      name,
      totalDataPoints: typeof meta.totalDataPoints === "number" ? meta.totalDataPoints : counted,
      createdAt: typeof meta.createdAt === "string" ? meta.createdAt : null,
      updatedAt: typeof meta.updatedAt === "string" ? meta.updatedAt : null,
    };
  });
}

async function readTrack(
  dir: string,
  topic: string,
  options: { from?: number; to?: number },
): Promise<TrackEntry[]> {
  const entries: TrackEntry[] = [];
  await scanJsonl(join(dir, "tracks", trackDirName(topic), "data.jsonl"), (record) => {
    const timestamp = record.timestamp;
    if (typeof timestamp !== "number") return;
    if (options.from !== undefined && timestamp < options.from) return;
    if (options.to !== undefined && timestamp > options.to) return;
    entries.push(record as TrackEntry);
  });
  return entries;
}
