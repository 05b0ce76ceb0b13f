import type { JsonValue } from "../../format/json-codec.js";
import { parseJson } from "../../format/json-codec.js";
import type { SqlExecutor } from "./sql-driver.js";
import { upsertRunKeyValues } from "./sql-run-key-values.js";

/**
 * `run_latest`: one row per (run, metric key) with the latest value as a number (NULL when it is not one),
 * kept by batches beside the run's `latest` JSON. A listing sorted by a metric walks its (key, value, run)
 * index instead of reading every run's JSON.
 */

/** The number a latest value sorts by: null for anything else (NaN, strings, missing). */
export function sortValue(value: JsonValue | undefined): number | null {
  return typeof value === "number" && !Number.isNaN(value) ? value : null;
}

/** The keys of `after` whose value differs from `before`'s, with their sort values. */
export function changedLatest(
  before: Readonly<Record<string, JsonValue>>,
  after: Readonly<Record<string, JsonValue>>,
): [string, number | null][] {
  const out: [string, number | null][] = [];
  for (const key in after) {
    const old = before[key];
    const now = after[key];
    if (old === undefined || !sameValue(old, now!)) out.push([key, sortValue(now)]);
  }
  return out;
}

function sameValue(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Stores the sort values of a run's changed latest values (one statement per 300 keys). */
export async function writeRunLatest(
  tx: SqlExecutor,
  runId: string,
  changes: readonly (readonly [string, number | null])[],
): Promise<void> {
  await upsertRunKeyValues(tx, "run_latest", runId, changes);
}

/**
 * The upsert of a few changed values as a `WITH` clause to put before another statement (PostgreSQL runs
 * data-modifying `WITH`s; a batch then costs no extra round trip). Undefined when there are too many.
 */
export function runLatestWith(
  runId: string,
  changes: readonly (readonly [string, number | null])[],
): { sql: string; params: unknown[] } | undefined {
  if (changes.length === 0 || changes.length > 300) return undefined;
  return {
    sql: `WITH latest_upsert AS (INSERT INTO run_latest (run_id, key, value) VALUES ${changes
      .map(() => "(?, ?, CAST(? AS DOUBLE PRECISION))")
      .join(", ")} ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value)`,
    params: changes.flatMap(([key, value]) => [runId, key, value]),
  };
}

/** Fills `run_latest` from the runs' `latest` column (the migration that adds the table). */
export async function backfillRunLatest(tx: SqlExecutor): Promise<void> {
  let after = "";
  for (;;) {
    const rows = await tx.all<{ id: string; latest: string }>(
      `SELECT id, latest FROM runs WHERE id > ? ORDER BY id LIMIT 1000`,
      [after],
    );
    if (rows.length === 0) return;
    for (const row of rows) {
      const latest = parseJson(row.latest) as Record<string, JsonValue>;
      await writeRunLatest(tx, row.id, changedLatest({}, latest));
    }
    after = rows[rows.length - 1]!.id;
  }
}

/** A page of runs sorted by a metric's latest value, and where the next page starts. */
export interface MetricPage<Row> {
  readonly rows: Row[];
  /** The sort value (null: among the runs without a number) and id of the page's last run. */
  readonly last?: readonly [number | null, string];
}

/**
 * Live runs matching `where` sorted by the latest value of `key`: runs with a number first (by value, then
 * id), then runs without one (by id), both in the asked direction, paged after `after` (keyset). The first
 * part walks the `run_latest_sort` index, the second the runs' primary key.
 */
export async function pageByMetric<Row extends { id: string }>(
  tx: SqlExecutor,
  columns: string,
  where: readonly string[],
  params: readonly unknown[],
  key: string,
  desc: boolean,
  limit: number,
  after: readonly [number | null, string] | undefined,
): Promise<MetricPage<Row>> {
  const direction = desc ? "DESC" : "ASC";
  const op = desc ? "<" : ">";
  const rows: (Row & { sort_value: number | string | null })[] = [];
  if (!after || after[0] !== null) {
    const keyset = after ? [`(l.value, l.run_id) ${op} (?, ?)`] : [];
    rows.push(
      ...(await tx.all<Row & { sort_value: number | string }>(
        `SELECT ${columns}, l.value AS sort_value FROM run_latest l JOIN runs ON runs.id = l.run_id
         WHERE l.key = ? AND l.value IS NOT NULL AND ${[...keyset, ...where].join(" AND ")}
         ORDER BY l.value ${direction}, l.run_id ${direction} LIMIT ?`,
        [key, ...(after ? [after[0], after[1]] : []), ...params, limit + 1],
      )),
    );
  }
  if (rows.length <= limit) {
    const keyset = after && after[0] === null ? [`id ${op} ?`] : [];
    rows.push(
      ...(await tx.all<Row & { sort_value: null }>(
        `SELECT ${columns}, NULL AS sort_value FROM runs
         WHERE NOT EXISTS (SELECT 1 FROM run_latest l WHERE l.run_id = runs.id AND l.key = ? AND l.value IS NOT NULL)
           AND ${[...keyset, ...where].join(" AND ")}
         ORDER BY id ${direction} LIMIT ?`,
        [key, ...(keyset.length > 0 ? [after![1]] : []), ...params, limit + 1 - rows.length],
      )),
    );
  }
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    ...(rows.length > limit && last
      ? { last: [last.sort_value === null ? null : Number(last.sort_value), last.id] as const }
      : {}),
  };
}
