import type { SqlExecutor } from "../sql-driver.js";
import type { Row } from "./copy-rows.js";
import { allIn, differingColumns } from "./copy-rows.js";

/** Totals of one side of a copy (the target: over the source's run and token ids only). */
export interface CopyTotals {
  runs: number;
  tags: number;
  params: number;
  batches: number;
  streams: number;
  points: number;
  logs: number;
  files: number;
  fileBytes: number;
  tokens: number;
}

/** The two sides' totals and what differs (empty: an exact copy of every run and token). */
export interface CopyComparison {
  readonly source: CopyTotals;
  readonly target: CopyTotals;
  readonly differences: readonly string[];
}

/** One stored file, as the verification of the bytes needs it. */
export interface FileRecord {
  readonly id: string;
  readonly runId: string;
  readonly storageKey: string;
  readonly size: number;
  readonly sha256: string;
}

interface Side {
  perRun: Map<string, Map<string, number>>;
  streams: Map<string, string>;
  files: Map<string, FileRecord>;
  tokens: Map<string, string>;
}

const counted = ["run_tags", "run_params", "run_batches", "run_logs"] as const;

async function readSide(db: SqlExecutor): Promise<Side> {
  const perRun = new Map<string, Map<string, number>>();
  for (const table of counted) {
    for (const row of await db.all<{ run_id: string; n: number }>(
      `SELECT run_id, COUNT(*) AS n FROM ${table} GROUP BY run_id`,
    )) {
      const counts = perRun.get(row.run_id) ?? new Map<string, number>();
      counts.set(table, Number(row.n));
      perRun.set(row.run_id, counts);
    }
  }
  const streams = new Map<string, string>();
  for (const row of await db.all<{
    run_id: string;
    stream: string;
    count: number;
    points: number;
    chunks: number;
  }>(
    `SELECT s.run_id, s.stream, s.count, COALESCE(SUM(c.count), 0) AS points, COUNT(c.first_index) AS chunks
       FROM metric_streams s LEFT JOIN metric_chunks c ON c.stream_id = s.id
      GROUP BY s.id, s.run_id, s.stream, s.count`,
  )) {
    streams.set(
      `${row.run_id}\u0000${row.stream}`,
      `${Number(row.count)}/${Number(row.points)}/${Number(row.chunks)}`,
    );
  }
  const files = new Map<string, FileRecord>();
  for (const row of await db.all<{
    id: string;
    run_id: string;
    storage_key: string;
    size: number;
    sha256: string;
  }>(`SELECT id, run_id, storage_key, size, sha256 FROM run_files`)) {
    files.set(row.id, {
      id: row.id,
      runId: row.run_id,
      storageKey: row.storage_key,
      size: Number(row.size),
      sha256: row.sha256,
    });
  }
  const tokens = new Map(
    (await db.all<{ id: string; token_hash: string }>(`SELECT id, token_hash FROM auth_tokens`)).map(
      (row) => [row.id, row.token_hash],
    ),
  );
  return { perRun, streams, files, tokens };
}

function zero(): CopyTotals {
  return {
    runs: 0,
    tags: 0,
    params: 0,
    batches: 0,
    streams: 0,
    points: 0,
    logs: 0,
    files: 0,
    fileBytes: 0,
    tokens: 0,
  };
}

/**
 * Compares every run and token of the source with the target: the `runs` rows column by column, and per run
 * the counts of tags, parameters, batches and logs, each metric stream's point count (its row and its
 * chunks), and the file records (size, SHA-256, storage key). The bytes are checked by the caller.
 */
export async function compareDatabases(source: SqlExecutor, target: SqlExecutor): Promise<CopyComparison> {
  const differences: string[] = [];
  const totals = { source: zero(), target: zero() };
  const [s, t] = [await readSide(source), await readSide(target)];
  const sourceRunIds = new Set<string>();
  for (let after = ""; ;) {
    const rows = await source.all(`SELECT * FROM runs WHERE id > ? ORDER BY id LIMIT 1000`, [after]);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id as string;
    const ids = rows.map((row) => row.id as string);
    const targetRows = new Map(
      (await allIn<Row>(target, "SELECT * FROM runs WHERE id IN", ids)).map((row) => [row.id as string, row]),
    );
    for (const row of rows) {
      const id = row.id as string;
      sourceRunIds.add(id);
      totals.source.runs++;
      const other = targetRows.get(id);
      if (!other) {
        differences.push(`run ${id} is missing from the target`);
        continue;
      }
      totals.target.runs++;
      const columns = differingColumns(row, other);
      if (columns.length > 0) differences.push(`run ${id} differs: ${columns.join(", ")}`);
      for (const table of counted) {
        const a = s.perRun.get(id)?.get(table) ?? 0;
        const b = t.perRun.get(id)?.get(table) ?? 0;
        const key = (
          { run_tags: "tags", run_params: "params", run_batches: "batches", run_logs: "logs" } as const
        )[table];
        totals.source[key] += a;
        totals.target[key] += b;
        if (a !== b) differences.push(`run ${id}: ${a} ${key} in the source, ${b} in the target`);
      }
    }
  }
  const sumStream = (value: string | undefined) => Number(value?.split("/")[1] ?? 0);
  for (const [key, value] of s.streams) {
    const runId = key.split("\u0000")[0]!;
    if (!sourceRunIds.has(runId)) continue;
    totals.source.streams++;
    totals.source.points += sumStream(value);
    const other = t.streams.get(key);
    if (other !== undefined) {
      totals.target.streams++;
      totals.target.points += sumStream(other);
    }
    if (other !== value)
      differences.push(
        `run ${runId} stream "${key.split("\u0000")[1]}": count/points/chunks ${value} in the source, ${other ?? "none"} in the target`,
      );
  }
  for (const [id, file] of s.files) {
    totals.source.files++;
    totals.source.fileBytes += file.size;
    const other = t.files.get(id);
    if (other) {
      totals.target.files++;
      totals.target.fileBytes += other.size;
    }
    if (
      !other ||
      other.sha256 !== file.sha256 ||
      other.size !== file.size ||
      other.storageKey !== file.storageKey
    )
      differences.push(
        `file ${id} of run ${file.runId}: ${other ? "its record differs" : "missing from the target"}`,
      );
  }
  for (const [id, hash] of s.tokens) {
    totals.source.tokens++;
    if (t.tokens.get(id) === hash) totals.target.tokens++;
    else differences.push(`token ${id} is ${t.tokens.has(id) ? "different" : "missing"} in the target`);
  }
  return { ...totals, differences };
}

/** The file records of a database (the source's: the bytes the target must hold). */
export async function fileRecords(db: SqlExecutor): Promise<FileRecord[]> {
  const rows = await db.all<{
    id: string;
    run_id: string;
    storage_key: string;
    size: number;
    sha256: string;
  }>(`SELECT id, run_id, storage_key, size, sha256 FROM run_files ORDER BY id`);
  return rows.map((row) => ({
    id: row.id,
    runId: row.run_id,
    storageKey: row.storage_key,
    size: Number(row.size),
    sha256: row.sha256,
  }));
}
