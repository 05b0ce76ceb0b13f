import { existsSync, mkdirSync, renameSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, relative, sep } from "node:path";
import {
  ImmutableParamError,
  RunBusyError,
  RunStatusTransitionError,
  StoreClosedError,
  StoredRunNotFoundError,
} from "../../errors.js";
import { processStartTicks } from "../../util/process-probe.js";
import { isoNow } from "../../format/clock.js";
import { encodeJson, type JsonValue } from "../../format/json-codec.js";
import { parsePrefix, runDirFor } from "../../format/names.js";
import { acquireOwnerLock, type OwnerLock } from "../../format/owner-lock.js";
import { mergeParams, readParams } from "../../format/params-file.js";
import { readRunRecord, writeRunRecord, type RunRecord } from "../../format/run-record.js";
import type {
  BatchResult,
  LogQuery,
  MetricRange,
  MetricSeries,
  MetricStreamSummary,
  NewFile,
  RunBatch,
  RunPage,
  RunPatch,
  RunQuery,
  RunUpsert,
  StatusChange,
  Store,
  StoreCapabilities,
  StoreProblem,
  StreamListOptions,
  StoredFile,
  StoredLog,
  StoredRun,
} from "../store.js";
import { BatchLedger } from "./batch-ledger.js";
import { addFileRecord, listFileRecords } from "./files-files.js";
import { appendLogs, queryLogs } from "./files-logs.js";
import { FilesMetrics, metricFile } from "./files-metrics.js";
import { readTrackStream, trackStreamPrefix, trackStreams, trackSummary } from "./files-tracks.js";
import { searchPage } from "./files-search.js";
import { RunFolders, storedRun } from "./run-folders.js";
import { runProblems } from "./run-problems.js";

export interface FilesStoreOptions {
  /** Where runs are made: `<root>/<prefix>`, one folder per segment (ML-Dash's layout). */
  readonly root: string;
  /** The folder run ids are relative to (default `root`); a workspace gives its own root. */
  readonly base?: string;
  /** More run folders to serve besides those under `root` (a workspace's job runs). */
  readonly extraRuns?: () => Iterable<string>;
  /** Metric files from this size on are read through a sidecar index (default 16 MiB; tests use less). */
  readonly metricIndexAboveBytes?: number;
}

/**
 * The run folder as a Store: runs in ML-Dash's local layout (experiment.json, parameters.json,
 * logs/logs.jsonl, metrics/<name>/data.jsonl, files/…), read and written in the same format as the tracking
 * SDK's local sink, so ML-Dash, the SDK and this store read each other's runs. What `labrun ui` reads.
 *
 * A run this store writes is owned the way an SDK owner owns it (`.owner.lock`, its host and pid in
 * experiment.json) from its upsert until its final status or `close()`; a run a live process owns is
 * refused (RUN_BUSY). Deliberately left out: tokens (no `AuthStore`: a folder is guarded by its
 * permissions), file bytes (a stored file's bytes stay where the SDK put them, or in the server's
 * `FileStorage` under the record's `storageKey`).
 */
export class FilesStore implements Store {
  readonly kind = "files";
  readonly capabilities: StoreCapabilities = { concurrentReaders: true, serverSideDownsampling: true };
  readonly folders: RunFolders;
  readonly #metrics: FilesMetrics;
  readonly #locks = new Map<string, OwnerLock>();
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;
  #searchProblems: readonly StoreProblem[] = [];

  constructor(options: FilesStoreOptions) {
    this.#metrics = new FilesMetrics(
      options.metricIndexAboveBytes !== undefined ? { indexAboveBytes: options.metricIndexAboveBytes } : {},
    );
    this.folders = new RunFolders(
      options.base ?? options.root,
      options.root,
      options.extraRuns ?? (() => []),
    );
  }

  /** The folder of a live run (RUN_NOT_FOUND otherwise). */
  runDir(runId: string): string {
    return this.#live(runId).dir;
  }

  upsertRun(run: RunUpsert): Promise<StoredRun> {
    return this.#write(() => {
      const parsed = parsePrefix(run.prefix);
      const dir = runDirFor(this.folders.root, run.prefix);
      const existing = readRunRecord(dir);
      const now = isoNow();
      this.#own(dir, run.prefix);
      const newId = existing ? undefined : this.folders.newId(dir);
      const record: RunRecord = {
        ...existing,
        name: parsed.name,
        project: parsed.project,
        description: run.description ?? existing?.description ?? null,
        tags: [...(run.tags ?? existing?.tags ?? [])],
        bindrs: [...(run.bindrs ?? existing?.bindrs ?? [])],
        prefix: parsed.prefix,
        metadata: (run.metadata as RunRecord["metadata"]) ?? existing?.metadata ?? null,
        created_at: existing?.created_at ?? now,
        updated_at: now,
        write_protected: existing?.write_protected ?? false,
        ...(newId ? { labrunId: newId } : {}),
        ...this.#ownerFields(now),
      };
      mkdirSync(dir, { recursive: true });
      writeRunRecord(dir, record);
      return storedRun(this.folders.idOf(dir, record), record, false);
    });
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    this.#open();
    const found = this.folders.find(runId);
    return found ? storedRun(runId, found.record, found.deleted) : undefined;
  }

  async getRunByPrefix(prefix: string): Promise<StoredRun | undefined> {
    this.#open();
    const dir = runDirFor(this.folders.root, prefix);
    const record = readRunRecord(dir, () => undefined);
    if (record) return storedRun(this.folders.idOf(dir, record), record, false);
    const other = this.folders.list().find((found) => found.record.prefix === prefix);
    return other ? storedRun(this.folders.idOf(other.dir, other.record), other.record, false) : undefined;
  }

  async searchRuns(query: RunQuery): Promise<RunPage> {
    this.#open();
    const now = Date.now();
    const warnings: StoreProblem[] = [];
    const found = this.folders.list((_dir, warning) => warnings.push(warning));
    this.#searchProblems = warnings;
    const runs = found.map(({ dir, record }) => ({
      run: storedRun(this.folders.idOf(dir, record), record, false, now),
      params: () => readParams(dir),
      dir,
    }));
    const dirs = new Map(runs.map((r) => [r.run.id, r.dir]));
    return searchPage(runs, query, (run) => this.#metrics.latest(dirs.get(run.id)!));
  }

  updateRun(runId: string, patch: RunPatch): Promise<StoredRun> {
    return this.#write(() => {
      const { dir, record } = this.#live(runId);
      this.#patch(runId, dir, record, patch);
      writeRunRecord(dir, record);
      return storedRun(runId, record, false);
    });
  }

  deleteRun(runId: string): Promise<void> {
    return this.#write(() => {
      const { dir, record } = this.#live(runId);
      this.#release(dir);
      const gone = this.folders.tombstone(runId);
      mkdirSync(dirname(gone), { recursive: true });
      renameSync(dir, gone);
      writeRunRecord(gone, { ...record, deletedAt: isoNow() });
    });
  }

  applyBatch(runId: string, batch: RunBatch): Promise<BatchResult> {
    return this.#write(() => {
      const { dir, record } = this.#live(runId);
      const ledger = new BatchLedger(dir);
      if (ledger.has(batch.clientId, batch.seq)) return { duplicate: true };
      // Everything that can refuse the batch is checked before anything is written.
      const patch: RunPatch = {
        ...(batch.description === undefined ? {} : { description: batch.description }),
        ...(batch.tags === undefined ? {} : { tags: batch.tags }),
        ...(batch.status === undefined ? {} : { status: batch.status }),
      };
      const params = batch.params ?? {};
      if (batch.immutableParams === true) checkImmutable(runId, readParams(dir), params);
      this.#patch(runId, dir, record, patch);
      const now = isoNow();
      if (Object.keys(params).length > 0) mergeParams(dir, params);
      if (batch.metrics) this.#metrics.append(dir, batch.metrics, now);
      if (batch.logs) appendLogs(dir, batch.logs);
      writeRunRecord(dir, record);
      ledger.add(batch.clientId, batch.seq);
      return { duplicate: false };
    });
  }

  async getParams(runId: string): Promise<Readonly<Record<string, JsonValue>>> {
    return readParams(this.#live(runId).dir);
  }

  async listMetricStreams(
    runId: string,
    options?: StreamListOptions,
  ): Promise<readonly MetricStreamSummary[]> {
    const dir = this.#live(runId).dir;
    const streams = this.#metrics.list(dir, options);
    const names = new Set(streams.map((s) => s.stream));
    // ML-Dash's tracks, as the streams `track.<topic>` (unless sent to the store as such, under metrics/).
    const tracks = trackStreams(dir)
      .filter((stream) => !names.has(stream))
      .map((stream) => trackSummary(dir, stream))
      .filter((summary) => summary.count > 0);
    return [...streams, ...tracks].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  }

  async readMetrics(runId: string, stream: string, range?: MetricRange): Promise<MetricSeries> {
    const dir = this.#live(runId).dir;
    if (stream.startsWith(trackStreamPrefix) && !existsSync(metricFile(dir, stream)))
      return readTrackStream(dir, stream, range);
    return this.#metrics.read(dir, stream, range);
  }

  queryLogs(runId: string, query?: LogQuery): Promise<readonly StoredLog[]> {
    return queryLogs(this.#live(runId).dir, query);
  }

  addFile(runId: string, file: NewFile): Promise<StoredFile> {
    return this.#write(() => {
      const { dir } = this.#live(runId);
      return addFileRecord(dir, file, this.#fileKey(dir));
    });
  }

  async listFiles(runId: string, prefix?: string): Promise<readonly StoredFile[]> {
    const { dir } = this.#live(runId);
    const files = listFileRecords(dir, this.#fileKey(dir));
    if (prefix === undefined || prefix === "") return files;
    return files.filter((f) => f.prefix === prefix || f.prefix.startsWith(`${prefix}/`));
  }

  async getFile(runId: string, fileId: string): Promise<StoredFile | undefined> {
    this.#open();
    const found = this.folders.find(runId);
    if (!found || found.deleted) return undefined;
    return listFileRecords(found.dir, this.#fileKey(found.dir)).find((f) => f.id === fileId);
  }

  /** A run's damaged files (see run-problems.ts), or without a run the unreadable runs of the last search. */
  async problems(runId?: string): Promise<readonly StoreProblem[]> {
    if (runId === undefined) return this.#searchProblems;
    const { dir, record } = this.#live(runId);
    return runProblems(dir, record.status === "RUNNING");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writes.catch(() => undefined);
    this.#closed = true;
    for (const dir of [...this.#locks.keys()]) this.#release(dir);
  }

  /** Where the bytes of a run's files lie relative to `base` (the run's folder), for their `storageKey`. */
  #fileKey(dir: string): string {
    return relative(this.folders.base, dir).split(sep).join("/");
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError(this.kind);
  }

  #live(runId: string): { dir: string; record: RunRecord } {
    this.#open();
    const found = this.folders.find(runId);
    if (!found || found.deleted) throw new StoredRunNotFoundError(runId);
    return found;
  }

  /** One write at a time: a run's files are read, checked and rewritten without another write between. */
  #write<T>(fn: () => T): Promise<T> {
    const next = this.#writes.then(() => {
      this.#open();
      return fn();
    });
    this.#writes = next.catch(() => undefined);
    return next;
  }

  #ownerFields(now: string): Partial<RunRecord> {
    return {
      labrunFormat: 1,
      status: "RUNNING",
      statusReason: null,
      startedAt: now,
      endedAt: null,
      heartbeatAt: now,
      host: hostname(),
      pid: process.pid,
      processStart: processStartTicks(process.pid) ?? null,
      error: null,
    };
  }

  /** Takes the run's `.owner.lock` (once); a live writer holding it refuses the run. */
  #own(dir: string, prefix: string): void {
    if (this.#locks.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    const attempt = acquireOwnerLock(dir);
    if (!attempt.acquired)
      throw new RunBusyError(prefix, { pid: attempt.holder.pid, host: attempt.holder.host });
    this.#locks.set(dir, attempt.lock);
  }

  #release(dir: string): void {
    try {
      this.#locks.get(dir)?.release();
    } catch {
      // a lock left behind is taken over: its holder (this process) is not a live owner once it let go
    }
    this.#locks.delete(dir);
  }

  /** Applies a patch to the record in memory; a refused status change throws before anything changes. */
  #patch(runId: string, dir: string, record: RunRecord, patch: RunPatch): void {
    const now = isoNow();
    if (patch.status) applyStatus(runId, record, patch.status, now);
    if (patch.description !== undefined) record.description = patch.description;
    if (patch.tags !== undefined) record.tags = [...patch.tags];
    if (patch.bindrs !== undefined) record.bindrs = [...patch.bindrs];
    if (patch.metadata !== undefined) record.metadata = { ...(record.metadata ?? {}), ...patch.metadata };
    record.updated_at = now;
    if (patch.status?.status === "RUNNING") {
      this.#own(dir, record.prefix);
      Object.assign(record, this.#ownerFields(now));
    } else if (patch.status) {
      record.heartbeatAt = now;
      this.#release(dir);
    }
  }
}

function applyStatus(runId: string, record: RunRecord, change: StatusChange, now: string): void {
  // A folder's UNKNOWN is no status at all (what ML-Dash writes): it is left like RUNNING, by any status.
  const from = record.status ?? "RUNNING";
  const to = change.status;
  if (to === "RUNNING") return;
  if (to === "UNKNOWN") {
    if (from !== "RUNNING") throw new RunStatusTransitionError(runId, from, to);
    delete record.status;
    Object.assign(record, { statusReason: null, endedAt: null, error: null });
    return;
  }
  if (from === "RUNNING") {
    Object.assign(record, {
      status: to,
      statusReason: null,
      endedAt: change.at ?? now,
      error: change.error ? { name: "Error", message: change.error, code: null, stack: null } : null,
    });
  } else if (from !== to) throw new RunStatusTransitionError(runId, from, to);
}

function checkImmutable(
  runId: string,
  stored: Readonly<Record<string, JsonValue>>,
  given: Readonly<Record<string, JsonValue>>,
): void {
  for (const [key, value] of Object.entries(given)) {
    if (!(key in stored)) continue;
    const old = encodeJson(stored[key]);
    const next = encodeJson(value);
    if (old !== next) throw new ImmutableParamError(runId, key, old, next);
  }
}
