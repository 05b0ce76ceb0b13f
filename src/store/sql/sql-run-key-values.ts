import type { SqlExecutor } from "./sql-driver.js";

/**
 * Inserts or replaces `(run_id, key, value)` rows of a per-run key/value table (params, latest sort values), one
 * statement per 300 rows (900 bound values stay under SQLite's and PostgreSQL's limits).
 */
export async function upsertRunKeyValues(
  tx: SqlExecutor,
  table: "run_params" | "run_latest",
  runId: string,
  entries: readonly (readonly [string, unknown])[],
): Promise<void> {
  for (let start = 0; start < entries.length; start += 300) {
    const slice = entries.slice(start, start + 300);
    await tx.run(
      `INSERT INTO ${table} (run_id, key, value) VALUES ${slice.map(() => "(?, ?, ?)").join(", ")}
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`,
      slice.flatMap(([key, value]) => [runId, key, value]),
    );
  }
}
