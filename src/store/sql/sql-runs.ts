import { randomUUID } from "node:crypto";
import { RunStatusTransitionError, StoredRunNotFoundError, TrackingValueError } from "../../errors.js";
import { encodeJson, parseJson } from "../../format/json-codec.js";
import type { JsonValue } from "../../format/json-codec.js";
import { parsePrefix } from "../../format/names.js";
import type { RunPage, RunQuery, RunUpsert, RunWithLatest, StatusChange, StoredRun } from "../store.js";
import type { RunRow } from "./rows.js";
import { runColumns, runFromRow } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";
import { pageByMetric } from "./sql-run-latest.js";

export async function upsertRun(tx: SqlExecutor, run: RunUpsert, now: string): Promise<StoredRun> {
  const parsed = parsePrefix(run.prefix);
  const inserted = await tx.all<RunRow>(
    `INSERT INTO runs (id, prefix, owner, project, name, status, description, tags, bindrs, metadata, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?)
     ON CONFLICT (prefix) WHERE deleted = 0 DO NOTHING
     RETURNING ${runColumns}`,
    [
      randomUUID().replaceAll("-", ""),
      run.prefix,
      parsed.owner,
      parsed.project,
      parsed.name,
      run.description ?? null,
      JSON.stringify(run.tags ?? []),
      JSON.stringify(run.bindrs ?? []),
      encodeJson(run.metadata ?? {}),
      now,
      now,
    ],
  );
  if (inserted[0]) {
    await setTags(tx, inserted[0].id, run.tags ?? []);
    return runFromRow(inserted[0]);
  }
  // Resume: the run goes back to RUNNING and takes the given fields.
  const sets = ["status = 'RUNNING'", "ended_at = NULL", "error = NULL", "updated_at = ?"];
  const params: unknown[] = [now];
  if (run.description !== undefined) (sets.push("description = ?"), params.push(run.description));
  if (run.tags !== undefined) (sets.push("tags = ?"), params.push(JSON.stringify(run.tags)));
  if (run.bindrs !== undefined) (sets.push("bindrs = ?"), params.push(JSON.stringify(run.bindrs)));
  if (run.metadata !== undefined) (sets.push("metadata = ?"), params.push(encodeJson(run.metadata)));
  const rows = await tx.all<RunRow>(
    `UPDATE runs SET ${sets.join(", ")} WHERE prefix = ? AND deleted = 0 RETURNING ${runColumns}`,
    [...params, run.prefix],
  );
  const row = rows[0];
  if (!row) throw new StoredRunNotFoundError(run.prefix); // deleted between the two statements
  if (run.tags !== undefined) await setTags(tx, row.id, run.tags);
  return runFromRow(row);
}

async function setTags(tx: SqlExecutor, runId: string, tags: readonly string[]): Promise<void> {
  await tx.run(`DELETE FROM run_tags WHERE run_id = ?`, [runId]);
  const unique = [...new Set(tags)];
  if (unique.length === 0) return;
  await tx.run(
    `INSERT INTO run_tags (run_id, tag) VALUES ${unique.map(() => "(?, ?)").join(", ")}`,
    unique.flatMap((tag) => [runId, tag]),
  );
}

export async function getRunRow(tx: SqlExecutor, runId: string, forUpdate = ""): Promise<RunRow | undefined> {
  const rows = await tx.all<RunRow>(`SELECT ${runColumns} FROM runs WHERE id = ?${forUpdate}`, [runId]);
  return rows[0];
}

/** The live run or StoredRunNotFoundError. */
export async function requireLiveRun(tx: SqlExecutor, runId: string, forUpdate = ""): Promise<RunRow> {
  const row = await getRunRow(tx, runId, forUpdate);
  if (!row || Number(row.deleted) !== 0) throw new StoredRunNotFoundError(runId);
  return row;
}

export async function getRunByPrefix(tx: SqlExecutor, prefix: string): Promise<StoredRun | undefined> {
  const rows = await tx.all<RunRow>(`SELECT ${runColumns} FROM runs WHERE prefix = ? AND deleted = 0`, [
    prefix,
  ]);
  return rows[0] ? runFromRow(rows[0]) : undefined;
}

/** Fields of a run that can be changed after creation. */
export interface RunFieldsUpdate {
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly bindrs?: readonly string[];
  readonly status?: StatusChange;
  /** Keys merged into the run's metadata (the row was read under the run's lock, so the merge is atomic). */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  /** The run's new `latest` column (internal: written by batches with metrics). */
  readonly latest?: string;
}

export async function updateRunFields(
  tx: SqlExecutor,
  row: RunRow,
  patch: RunFieldsUpdate,
  now: string,
  /** A data-modifying `WITH` to run in the same statement (PostgreSQL: one round trip less). */
  withFirst?: { readonly sql: string; readonly params: readonly unknown[] },
): Promise<void> {
  const sets = ["updated_at = ?"];
  const params: unknown[] = [now];
  if (patch.description !== undefined) (sets.push("description = ?"), params.push(patch.description));
  if (patch.tags !== undefined) (sets.push("tags = ?"), params.push(JSON.stringify(patch.tags)));
  if (patch.bindrs !== undefined) (sets.push("bindrs = ?"), params.push(JSON.stringify(patch.bindrs)));
  if (patch.latest !== undefined) (sets.push("latest = ?"), params.push(patch.latest));
  if (patch.metadata !== undefined) {
    const merged = { ...(parseJson(row.metadata) as Record<string, JsonValue>), ...patch.metadata };
    sets.push("metadata = ?");
    params.push(encodeJson(merged));
  }
  if (patch.status) {
    const from = row.status;
    const to = patch.status.status;
    // UNKNOWN (no status recorded) is left like RUNNING: by any status; only a live run becomes UNKNOWN.
    const open = from === "RUNNING" || from === "UNKNOWN";
    if (to === "RUNNING" || (to === "UNKNOWN" && open)) {
      sets.push(`status = '${to}'`, "ended_at = NULL", "error = NULL");
    } else if (open && to !== "UNKNOWN") {
      sets.push("status = ?", "ended_at = ?", "error = ?");
      params.push(to, patch.status.at ?? now, patch.status.error ?? null);
    } else if (from !== to) {
      throw new RunStatusTransitionError(row.id, from, to);
    }
  }
  await tx.run(`${withFirst ? `${withFirst.sql} ` : ""}UPDATE runs SET ${sets.join(", ")} WHERE id = ?`, [
    ...(withFirst?.params ?? []),
    ...params,
    row.id,
  ]);
  if (patch.tags !== undefined) await setTags(tx, row.id, patch.tags);
}

const sortColumns = {
  createdAt: "created_at",
  updatedAt: "updated_at",
  prefix: "prefix",
  status: "status",
} as const;

/** One page of live runs matching the query, with their latest metric values. */
export async function searchRuns(tx: SqlExecutor, query: RunQuery): Promise<RunPage> {
  const where = ["deleted = 0"];
  const params: unknown[] = [];
  if (query.prefix !== undefined) {
    // Segment-wise: the prefix itself, or anything below it ("/" + 1 is "0", so the range is the subtree).
    where.push("(prefix = ? OR (prefix >= ? AND prefix < ?))");
    params.push(query.prefix, `${query.prefix}/`, `${query.prefix}0`);
  }
  if (query.project !== undefined) (where.push("project = ?"), params.push(query.project));
  if (query.status !== undefined) (where.push("status = ?"), params.push(query.status));
  if (query.tag !== undefined) {
    where.push("EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.tag = ?)");
    params.push(query.tag);
  }
  for (const [key, value] of Object.entries(query.params ?? {})) {
    // A string also matches the same text of a number or boolean (query strings carry no types).
    const encoded = encodeJson(value);
    where.push(
      "EXISTS (SELECT 1 FROM run_params p WHERE p.run_id = runs.id AND p.key = ? AND p.value IN (?, ?))",
    );
    params.push(key, encoded, typeof value === "string" ? value : encoded);
  }
  const sort = query.sort ?? "createdAt";
  const desc = (query.order ?? (query.sort === undefined ? "desc" : "asc")) === "desc";
  const limit = query.limit ?? 100;
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // The first page's count travels in the cursor: one count per listing, not one per page.
  let total = cursor?.[2];
  if (total === undefined) {
    const counted = await tx.all<{ n: number | string }>(
      `SELECT count(*) AS n FROM runs WHERE ${where.join(" AND ")}`,
      params,
    );
    total = Number(counted[0]?.n ?? 0);
  }
  const withLatest = (row: RunRow): RunWithLatest => ({
    ...runFromRow(row),
    latestMetrics: parseJson(row.latest) as Record<string, JsonValue>,
  });
  if (sort.startsWith("metric:")) {
    let after: [number | null, string] | undefined;
    if (cursor) {
      const value = cursor[0] === null ? null : Number(cursor[0]);
      if (value !== null && Number.isNaN(value)) throw badCursor(query.cursor!);
      after = [value, cursor[1]];
    }
    const page = await pageByMetric<RunRow>(
      tx,
      runColumns,
      where,
      params,
      sort.slice("metric:".length),
      desc,
      limit,
      after,
    );
    return {
      runs: page.rows.map(withLatest),
      total,
      ...(page.last
        ? {
            nextCursor: encodeCursor(
              page.last[0] === null ? null : String(page.last[0]),
              page.last[1],
              total,
            ),
          }
        : {}),
    };
  }
  const column = sortColumns[sort as keyof typeof sortColumns];
  const pageWhere = [...where];
  const pageParams = [...params];
  if (cursor) {
    if (cursor[0] === null) throw badCursor(query.cursor!);
    const op = desc ? "<" : ">";
    // A row-value comparison: both databases turn it into an index range (an OR would rescan from the top).
    pageWhere.push(`(${column}, id) ${op} (?, ?)`);
    pageParams.push(cursor[0], cursor[1]);
  }
  const direction = desc ? "DESC" : "ASC";
  const rows = await tx.all<RunRow>(
    `SELECT ${runColumns} FROM runs WHERE ${pageWhere.join(" AND ")}
     ORDER BY ${column} ${direction}, id ${direction} LIMIT ?`,
    [...pageParams, limit + 1],
  );
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  // Latest values live on the run row (kept by batches): a listing reads no other table.
  const last = page[page.length - 1];
  return {
    runs: page.map(withLatest),
    total,
    ...(more && last ? { nextCursor: encodeCursor(String(last[column]), last.id, total) } : {}),
  };
}

function encodeCursor(value: string | null, id: string, total: number): string {
  return Buffer.from(JSON.stringify([value, id, total])).toString("base64url");
}

function decodeCursor(cursor: string): [string | null, string, number] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      (typeof parsed[0] === "string" || parsed[0] === null) &&
      typeof parsed[1] === "string" &&
      Number.isSafeInteger(parsed[2])
    ) {
      return parsed as [string | null, string, number];
    }
  } catch {
    // reported below
  }
  throw badCursor(cursor);
}

function badCursor(cursor: string): TrackingValueError {
  return new TrackingValueError(
    `Cursor ${JSON.stringify(cursor)} is not one this server returned. Start from the first page.`,
    { details: { cursor } },
  );
}
