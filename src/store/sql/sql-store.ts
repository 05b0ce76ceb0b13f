import { randomUUID } from "node:crypto";
import { ImmutableParamError, StoreClosedError, StoredRunNotFoundError } from "../../errors.js";
import type { JsonValue } from "../../format/json-codec.js";
import { encodeJson, parseJson } from "../../format/json-codec.js";
import type {
  BatchResult,
  CreatedToken,
  LogQuery,
  MetricRange,
  MetricSeries,
  MetricStreamSummary,
  NewFile,
  NewToken,
  RunBatch,
  RunPage,
  RunPatch,
  RunQuery,
  RunUpsert,
  ServerStore,
  StoreCapabilities,
  StoreChannel,
  StoredFile,
  StoredLog,
  StoredRun,
  TokenInfo,
} from "../store.js";
import type { FileRow } from "./rows.js";
import { fileFromRow, placeholders, runFromRow } from "./rows.js";
import { guardDriver } from "./db-errors.js";
import type { SqlDriver, SqlExecutor } from "./sql-driver.js";
import { appendLogs, queryLogs } from "./sql-logs.js";
import { upsertRunKeyValues } from "./sql-run-key-values.js";
import { mergeRunLatest } from "./sql-metric-append.js";
import { changedLatest, runLatestWith, writeRunLatest } from "./sql-run-latest.js";
import { appendMetrics, listMetricStreams, readMetrics } from "./sql-metrics.js";
import {
  getRunByPrefix,
  getRunRow,
  requireLiveRun,
  searchRuns,
  updateRunFields,
  upsertRun,
} from "./sql-runs.js";
import { createToken, findToken, listTokens, revokeToken, verifyToken } from "./sql-tokens.js";

const fileColumns = "id, prefix, filename, size, sha256, content_type, storage_key, created_at";

/**
 * The store on a SQL database, shared by `SqliteStore` and `PostgresStore`: the same statements run on both
 * through a `SqlDriver`. Inputs are trusted here: `validatingStore` (validate.ts) checks them first.
 */
export class SqlStore implements ServerStore {
  readonly capabilities: StoreCapabilities = { concurrentReaders: true, serverSideDownsampling: true };
  #closed = false;

  protected readonly driver: SqlDriver;

  /**
   * @param where the database, for messages (a path, or a URL without its password)
   * @param forUpdate ` FOR UPDATE` where row locks exist (PostgreSQL); SQLite locks the whole file.
   */
  protected constructor(
    readonly kind: string,
    driver: SqlDriver,
    where: string,
    private readonly forUpdate: string,
  ) {
    this.driver = guardDriver(driver, where);
  }

  private db(): SqlDriver {
    if (this.#closed) throw new StoreClosedError(this.kind);
    return this.driver;
  }

  private tx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db().transaction(fn);
  }

  upsertRun(run: RunUpsert): Promise<StoredRun> {
    return this.tx((tx) => upsertRun(tx, run, now()));
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    const row = await getRunRow(this.db(), runId);
    return row ? runFromRow(row) : undefined;
  }

  getRunByPrefix(prefix: string): Promise<StoredRun | undefined> {
    return getRunByPrefix(this.db(), prefix);
  }

  searchRuns(query: RunQuery): Promise<RunPage> {
    // A later page of a plain sort is one statement (the count is in the cursor): no transaction, one round
    // trip instead of three. Otherwise one transaction: the count and the page see the same runs.
    if (query.cursor !== undefined && !query.sort?.startsWith("metric:")) return searchRuns(this.db(), query);
    return this.tx((tx) => searchRuns(tx, query));
  }

  updateRun(runId: string, patch: RunPatch): Promise<StoredRun> {
    return this.tx(async (tx) => {
      const row = await requireLiveRun(tx, runId, this.forUpdate);
      // Only the public fields: `latest` is the store's own.
      const { description, tags, bindrs, status, metadata } = patch;
      await updateRunFields(tx, row, { description, tags, bindrs, status, metadata }, now());
      return runFromRow((await getRunRow(tx, runId))!);
    });
  }

  async deleteRun(runId: string): Promise<void> {
    const changed = await this.db().run(
      `UPDATE runs SET deleted = 1, updated_at = ? WHERE id = ? AND deleted = 0`,
      [now(), runId],
    );
    if (changed === 0 && !(await getRunRow(this.db(), runId))) throw new StoredRunNotFoundError(runId);
  }

  applyBatch(runId: string, batch: RunBatch): Promise<BatchResult> {
    return this.tx(async (tx) => {
      const time = now();
      const row = await requireLiveRun(tx, runId, this.forUpdate);
      const fresh = await tx.run(
        `INSERT INTO run_batches (run_id, client_id, seq, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [runId, batch.clientId, batch.seq, time],
      );
      if (fresh === 0) return { duplicate: true };
      if (batch.params && Object.keys(batch.params).length > 0) {
        await setParams(tx, runId, batch.params, batch.immutableParams === true);
      }
      let latest: string | undefined;
      let latestWith: { sql: string; params: unknown[] } | undefined;
      const firstIndex = new Map<string, number>();
      if (batch.metrics && batch.metrics.length > 0) {
        const streams = await appendMetrics(tx, runId, batch.metrics, this.forUpdate, firstIndex);
        if (streams.size > 0) {
          const before = parseJson(row.latest) as Record<string, JsonValue>;
          const after = mergeRunLatest(before, streams);
          latest = encodeJson(after);
          const changes = changedLatest(before, after);
          latestWith = this.driver.dialect === "postgres" ? runLatestWith(runId, changes) : undefined;
          if (!latestWith) await writeRunLatest(tx, runId, changes);
        }
      }
      const firstLog = Number(row.log_count);
      if (batch.logs && batch.logs.length > 0) await appendLogs(tx, runId, firstLog, batch.logs);
      await updateRunFields(
        tx,
        row,
        {
          ...(batch.description === undefined ? {} : { description: batch.description }),
          ...(batch.tags === undefined ? {} : { tags: batch.tags }),
          ...(batch.status === undefined ? {} : { status: batch.status }),
          ...(latest === undefined ? {} : { latest }),
        },
        time,
        latestWith,
      );
      return {
        duplicate: false,
        positions: {
          metrics: Object.fromEntries(firstIndex),
          ...(batch.logs && batch.logs.length > 0 ? { logs: firstLog } : {}),
        },
      };
    });
  }

  async getParams(runId: string): Promise<Readonly<Record<string, JsonValue>>> {
    await this.requireRun(runId);
    const rows = await this.db().all<{ key: string; value: string }>(
      `SELECT key, value FROM run_params WHERE run_id = ? ORDER BY key`,
      [runId],
    );
    const out: Record<string, JsonValue> = {};
    for (const row of rows) out[row.key] = parseJson(row.value) as JsonValue;
    return out;
  }

  async listMetricStreams(runId: string): Promise<readonly MetricStreamSummary[]> {
    await this.requireRun(runId);
    return listMetricStreams(this.db(), runId);
  }

  async readMetrics(runId: string, stream: string, range?: MetricRange): Promise<MetricSeries> {
    await this.requireRun(runId);
    return this.tx((tx) => readMetrics(tx, runId, stream, range));
  }

  async queryLogs(runId: string, query?: LogQuery): Promise<readonly StoredLog[]> {
    await this.requireRun(runId);
    return queryLogs(this.db(), runId, query);
  }

  addFile(runId: string, file: NewFile): Promise<StoredFile> {
    return this.tx(async (tx) => {
      await requireLiveRun(tx, runId, this.forUpdate);
      // A file saved again under the same folder and name replaces the record (as ML-Dash does).
      await tx.run(`DELETE FROM run_files WHERE run_id = ? AND prefix = ? AND filename = ?`, [
        runId,
        file.prefix,
        file.filename,
      ]);
      const rows = await tx.all<FileRow>(
        `INSERT INTO run_files (id, run_id, prefix, filename, size, sha256, content_type, storage_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${fileColumns}`,
        [
          randomUUID().replaceAll("-", ""),
          runId,
          file.prefix,
          file.filename,
          file.size,
          file.sha256,
          file.contentType ?? null,
          file.storageKey,
          now(),
        ],
      );
      return fileFromRow(rows[0]!);
    });
  }

  async listFiles(runId: string, prefix?: string): Promise<readonly StoredFile[]> {
    await this.requireRun(runId);
    const where = ["run_id = ?"];
    const params: unknown[] = [runId];
    if (prefix !== undefined && prefix !== "") {
      where.push("(prefix = ? OR (prefix >= ? AND prefix < ?))");
      params.push(prefix, `${prefix}/`, `${prefix}0`);
    }
    const rows = await this.db().all<FileRow>(
      `SELECT ${fileColumns} FROM run_files WHERE ${where.join(" AND ")} ORDER BY prefix, filename`,
      params,
    );
    return rows.map(fileFromRow);
  }

  async getFile(runId: string, fileId: string): Promise<StoredFile | undefined> {
    const rows = await this.db().all<FileRow>(
      `SELECT ${fileColumns} FROM run_files WHERE run_id = ? AND id = ?`,
      [runId, fileId],
    );
    return rows[0] ? fileFromRow(rows[0]) : undefined;
  }

  createToken(token: NewToken): Promise<CreatedToken> {
    return createToken(this.db(), token, now());
  }

  listTokens(): Promise<readonly TokenInfo[]> {
    return listTokens(this.db());
  }

  revokeToken(id: string): Promise<boolean> {
    return revokeToken(this.db(), id, now());
  }

  verifyToken(secret: string): Promise<TokenInfo | undefined> {
    return verifyToken(this.db(), secret, now());
  }

  findToken(secret: string): Promise<TokenInfo | undefined> {
    return findToken(this.db(), secret);
  }

  /** None by default (SQLite: one server process per file); PostgreSQL has LISTEN/NOTIFY. */
  channel(): StoreChannel | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.driver.close();
  }

  private async requireRun(runId: string): Promise<void> {
    if (!(await getRunRow(this.db(), runId))) throw new StoredRunNotFoundError(runId);
  }
}

function now(): string {
  return new Date().toISOString();
}

async function setParams(
  tx: SqlExecutor,
  runId: string,
  params: Readonly<Record<string, JsonValue>>,
  immutable: boolean,
): Promise<void> {
  const entries = Object.entries(params).map(([key, value]) => [key, encodeJson(value)] as const);
  if (immutable) {
    for (let start = 0; start < entries.length; start += 500) {
      const slice = entries.slice(start, start + 500);
      const rows = await tx.all<{ key: string; value: string }>(
        `SELECT key, value FROM run_params WHERE run_id = ? AND key IN (${placeholders(slice.length)})`,
        [runId, ...slice.map(([key]) => key)],
      );
      const given = new Map(slice);
      for (const row of rows) {
        const value = given.get(row.key)!;
        if (value !== row.value) throw new ImmutableParamError(runId, row.key, row.value, value);
      }
    }
  }
  await upsertRunKeyValues(tx, "run_params", runId, entries);
}
