import { encodeJson } from "../../format/json-codec.js";
import { compileUserRegex } from "../../util/user-regex.js";
import type { LogLevel, LogQuery, NewLog, StoredLog } from "../store.js";
import type { LogRow } from "./rows.js";
import { logFromRow, placeholders } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";

const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

/** Appends log records after the run's last sequence number (`logCount` is the run's next number). */
export async function appendLogs(
  tx: SqlExecutor,
  runId: string,
  logCount: number,
  logs: readonly NewLog[],
): Promise<void> {
  // Multi-row inserts of up to 100 records: one statement per record would cost a round trip each.
  for (let start = 0; start < logs.length; start += 100) {
    const slice = logs.slice(start, start + 100);
    const params: unknown[] = [];
    slice.forEach((log, i) => {
      params.push(
        runId,
        logCount + start + i,
        log.level,
        levelRank[log.level],
        log.message,
        log.metadata === undefined ? null : encodeJson(log.metadata),
        log.timestamp,
        Date.parse(log.timestamp),
      );
    });
    await tx.run(
      `INSERT INTO run_logs (run_id, sequence, level, level_rank, message, metadata, timestamp, ts_ms) VALUES ${slice
        .map(() => "(?, ?, ?, ?, ?, ?, ?, ?)")
        .join(", ")}`,
      params,
    );
  }
  await tx.run(`UPDATE runs SET log_count = ? WHERE id = ?`, [logCount + logs.length, runId]);
}

const defaultLimit = 1000;
const page = 1000;

/**
 * Records matching the query in sequence order. The regular expression is applied here, in JavaScript, so
 * that it means the same on every backend; the other filters are SQL.
 */
export async function queryLogs(tx: SqlExecutor, runId: string, query: LogQuery = {}): Promise<StoredLog[]> {
  const where = ["run_id = ?"];
  const params: unknown[] = [runId];
  if (query.levels && query.levels.length > 0) {
    where.push(`level_rank IN (${placeholders(query.levels.length)})`);
    params.push(...query.levels.map((level) => levelRank[level]));
  }
  if (query.since !== undefined) (where.push("ts_ms >= ?"), params.push(Date.parse(query.since)));
  if (query.until !== undefined) (where.push("ts_ms <= ?"), params.push(Date.parse(query.until)));
  const regex = query.regex === undefined ? undefined : compileUserRegex(query.regex);
  const tail = query.tail !== undefined;
  const wanted = tail ? query.tail! : (query.limit ?? defaultLimit);
  const out: StoredLog[] = [];
  let cursor: number | undefined = query.afterSequence;
  let upper: number | undefined;
  for (;;) {
    const pageWhere = [...where];
    const pageParams = [...params];
    if (cursor !== undefined) (pageWhere.push("sequence > ?"), pageParams.push(cursor));
    if (upper !== undefined) (pageWhere.push("sequence < ?"), pageParams.push(upper));
    const rows = await tx.all<LogRow>(
      `SELECT sequence, level, message, metadata, timestamp FROM run_logs WHERE ${pageWhere.join(" AND ")}
       ORDER BY sequence ${tail ? "DESC" : "ASC"} LIMIT ?`,
      [...pageParams, regex ? page : wanted - out.length],
    );
    for (const row of rows) {
      if (regex && !regex.test(row.message)) continue;
      out.push(logFromRow(row));
      if (out.length >= wanted) break;
    }
    if (out.length >= wanted || rows.length === 0 || !regex) break;
    const last = Number(rows[rows.length - 1]!.sequence);
    if (tail) upper = last;
    else cursor = last;
  }
  return tail ? out.reverse() : out;
}
