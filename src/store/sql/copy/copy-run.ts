import type { SqlExecutor } from "../sql-driver.js";
import type { Row } from "./copy-rows.js";
import { insertRows } from "./copy-rows.js";

/** What one run's copy wrote. */
export interface RunCopyCounts {
  readonly points: number;
  readonly logs: number;
  readonly files: number;
}

const chunkPage = 100;
const logPage = 2_000;

/**
 * Copies every row of one run from `source` to `target` (inside the caller's target transaction, so the run
 * is in the target whole or not at all). `replace` are target run ids removed first (`--force`): their rows
 * go with them (foreign keys cascade). Metric stream ids are the target's own (an identity column); chunks
 * follow their stream.
 */
export async function copyRun(
  source: SqlExecutor,
  target: SqlExecutor,
  run: Row,
  replace: readonly string[] = [],
): Promise<RunCopyCounts> {
  const id = run.id as string;
  for (const old of replace) await target.run(`DELETE FROM runs WHERE id = ?`, [old]);
  await insertRows(target, "runs", [run]);
  for (const table of ["run_tags", "run_params", "run_batches", "run_latest"]) {
    await insertRows(target, table, await source.all(`SELECT * FROM ${table} WHERE run_id = ?`, [id]));
  }
  let points = 0;
  const streams = await source.all(`SELECT * FROM metric_streams WHERE run_id = ? ORDER BY id`, [id]);
  for (const stream of streams) {
    const { id: sourceStreamId, ...rest } = stream;
    const columns = Object.keys(rest);
    const [created] = await target.all<{ id: number }>(
      `INSERT INTO metric_streams (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns
        .map(() => "?")
        .join(", ")}) RETURNING id`,
      columns.map((c) => rest[c]),
    );
    for (let after = -1; ;) {
      const chunks = await source.all(
        `SELECT * FROM metric_chunks WHERE stream_id = ? AND first_index > ? ORDER BY first_index LIMIT ${chunkPage}`,
        [sourceStreamId, after],
      );
      if (chunks.length === 0) break;
      await insertRows(
        target,
        "metric_chunks",
        chunks.map((chunk) => ({ ...chunk, stream_id: created!.id })),
      );
      for (const chunk of chunks) points += Number(chunk.count);
      after = Number(chunks[chunks.length - 1]!.first_index);
      if (chunks.length < chunkPage) break;
    }
    const groups = await source.all(`SELECT * FROM metric_groups WHERE stream_id = ? ORDER BY first_index`, [
      sourceStreamId,
    ]);
    await insertRows(
      target,
      "metric_groups",
      groups.map((group) => ({ ...group, stream_id: created!.id })),
    );
  }
  let logs = 0;
  for (let after = -1; ;) {
    const page = await source.all(
      `SELECT * FROM run_logs WHERE run_id = ? AND sequence > ? ORDER BY sequence LIMIT ${logPage}`,
      [id, after],
    );
    if (page.length === 0) break;
    await insertRows(target, "run_logs", page);
    logs += page.length;
    after = Number(page[page.length - 1]!.sequence);
    if (page.length < logPage) break;
  }
  const files = await source.all(`SELECT * FROM run_files WHERE run_id = ?`, [id]);
  await insertRows(target, "run_files", files);
  return { points, logs, files: files.length };
}
