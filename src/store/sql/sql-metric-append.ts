import type { JsonValue } from "../../format/json-codec.js";
import { encodeJson, parseJson } from "../../format/json-codec.js";
import type { ChunkColumns } from "../metrics/chunk-codec.js";
import { decodeChunk, encodeChunk, isMissing, pointAt, toColumns } from "../metrics/chunk-codec.js";
import { allFieldStats, summarize, summaryBytes } from "../metrics/chunk-summary.js";
import type { MetricAppend, MetricPoint } from "../store.js";
import { placeholders } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";
import type { SealedChunk } from "./sql-metric-groups.js";
import { writeGroups } from "./sql-metric-groups.js";

/** Points per sealed chunk row; the last rows of a stream (open chunks) hold fewer until they add up to it. */
export const chunkSize = 1000;

export interface StreamRow {
  id: number | string;
  stream: string;
  count: number | string;
  open_count: number | string;
  fields: string;
  first_ts: number | null;
  last_ts: number | null;
  summary: string;
  latest: string;
}

export const streamColumns = "id, stream, count, open_count, fields, first_ts, last_ts, summary, latest";

/** Rows per multi-row statement (within SQLite's and PostgreSQL's limits on bound parameters). */
const rowsPerStatement = 200;

function slices<T>(items: readonly T[], size = rowsPerStatement): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Appends the points of a batch to their streams with a fixed number of statements whatever the number of
 * streams (a run may log thousands). Small appends become small "open" chunk rows (an insert, no rewrite);
 * once a stream's open rows reach `chunkSize` points they are merged into sealed chunks, so each point is
 * written at most twice. `firstIndex`, when given, receives each stream's index of its first new point.
 */
export async function appendMetrics(
  tx: SqlExecutor,
  runId: string,
  appends: readonly MetricAppend[],
  forUpdate: string,
  firstIndex?: Map<string, number>,
): Promise<Map<string, string>> {
  const byStream = new Map<string, MetricPoint[]>();
  for (const append of appends) {
    if (append.points.length === 0) continue;
    const points = byStream.get(append.stream);
    if (points) for (const point of append.points) points.push(point);
    else byStream.set(append.stream, [...append.points]);
  }
  const latestByStream = new Map<string, string>();
  if (byStream.size === 0) return latestByStream;
  // A fixed lock order: two batches of one run never wait on each other's streams in a cycle.
  const names = [...byStream.keys()].sort();
  const rows = await lockStreams(tx, runId, names, forUpdate);

  const merging = names.filter((name) => {
    const row = rows.get(name)!;
    const open = Number(row.open_count);
    return open > 0 && open + byStream.get(name)!.length >= chunkSize;
  });
  const openPoints = await takeOpenChunks(
    tx,
    merging.map((name) => Number(rows.get(name)!.id)),
  );

  const chunkRows: unknown[][] = [];
  const streamRows: unknown[][] = [];
  const sealedChunks = new Map<number, SealedChunk[]>();
  for (const name of names) {
    const row = rows.get(name)!;
    const streamId = Number(row.id);
    const points = byStream.get(name)!;
    const count = Number(row.count);
    const openCount = Number(row.open_count);
    firstIndex?.set(name, count);
    const written: ChunkColumns[] = [];
    const add = (firstIndex: number, chunk: readonly MetricPoint[], sealed: boolean) => {
      const columns = toColumns(chunk);
      const summary = summarize(columns, firstIndex);
      written.push(columns);
      chunkRows.push([
        streamId,
        firstIndex,
        chunk.length,
        sealed ? 1 : 0,
        columns.ts[0]!,
        columns.ts[columns.n - 1]!,
        JSON.stringify(summary.fields),
        summaryBytes(summary),
        encodeChunk(columns),
      ]);
      if (sealed) {
        const list = sealedChunks.get(streamId) ?? [];
        list.push({
          first: firstIndex,
          firstTs: columns.ts[0]!,
          lastTs: columns.ts[columns.n - 1]!,
          summary,
        });
        sealedChunks.set(streamId, list);
      }
      return summary;
    };
    const summaries = [];
    let newOpen: number;
    if (openCount + points.length < chunkSize) {
      summaries.push(add(count, points, false));
      newOpen = openCount + points.length;
    } else {
      const all = openCount > 0 ? [...(openPoints.get(streamId) ?? []), ...points] : points;
      const base = count - openCount;
      let at = 0;
      for (; at + chunkSize <= all.length; at += chunkSize) {
        summaries.push(add(base + at, all.slice(at, at + chunkSize), true));
      }
      newOpen = all.length - at;
      if (newOpen > 0) summaries.push(add(base + at, all.slice(at), false));
    }
    const state = streamState(row, written, summaries);
    latestByStream.set(name, state.latest);
    streamRows.push([
      runId,
      name,
      count + points.length,
      newOpen,
      state.fields,
      row.first_ts ?? points[0]!.ts,
      points[points.length - 1]!.ts,
      state.summary,
      state.latest,
    ]);
  }
  for (const slice of slices(chunkRows)) {
    await tx.run(
      `INSERT INTO metric_chunks (stream_id, first_index, count, sealed, first_ts, last_ts, summary_fields, summary, data)
       VALUES ${slice.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      slice.flat(),
    );
  }
  await writeGroups(tx, sealedChunks, chunkSize);
  // An upsert as a multi-row update: every row exists (locked above), so each takes the DO UPDATE path.
  for (const slice of slices(streamRows)) {
    await tx.run(
      `INSERT INTO metric_streams (run_id, stream, count, open_count, fields, first_ts, last_ts, summary, latest)
       VALUES ${slice.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}
       ON CONFLICT (run_id, stream) DO UPDATE SET count = excluded.count, open_count = excluded.open_count,
         fields = excluded.fields, first_ts = excluded.first_ts, last_ts = excluded.last_ts,
         summary = excluded.summary, latest = excluded.latest`,
      slice.flat(),
    );
  }
  return latestByStream;
}

/** The stream rows of `names` (created when missing), locked for this transaction where rows lock. */
async function lockStreams(
  tx: SqlExecutor,
  runId: string,
  names: readonly string[],
  forUpdate: string,
): Promise<Map<string, StreamRow>> {
  const rows = new Map<string, StreamRow>();
  const select = async (wanted: readonly string[]) => {
    for (const slice of slices(wanted, 500)) {
      const found = await tx.all<StreamRow>(
        `SELECT ${streamColumns} FROM metric_streams WHERE run_id = ? AND stream IN (${placeholders(slice.length)})
         ORDER BY stream${forUpdate}`,
        [runId, ...slice],
      );
      for (const row of found) rows.set(row.stream, row);
    }
  };
  await select(names);
  const missing = names.filter((name) => !rows.has(name));
  if (missing.length === 0) return rows;
  for (const slice of slices(missing)) {
    await tx.run(
      `INSERT INTO metric_streams (run_id, stream, count, open_count, fields, summary, latest)
       VALUES ${slice.map(() => "(?, ?, 0, 0, '[]', '{}', '{}')").join(", ")} ON CONFLICT (run_id, stream) DO NOTHING`,
      slice.flatMap((name) => [runId, name]),
    );
  }
  await select(missing);
  return rows;
}

/** Reads and deletes the open chunks of these streams: stream id → their points in order. */
async function takeOpenChunks(
  tx: SqlExecutor,
  streamIds: readonly number[],
): Promise<Map<number, MetricPoint[]>> {
  const out = new Map<number, MetricPoint[]>();
  for (const slice of slices(streamIds, 500)) {
    const chunks = await tx.all<{ stream_id: number | string; data: Uint8Array }>(
      `SELECT stream_id, data FROM metric_chunks WHERE sealed = 0 AND stream_id IN (${placeholders(slice.length)})
       ORDER BY stream_id, first_index`,
      slice,
    );
    for (const chunk of chunks) {
      const id = Number(chunk.stream_id);
      let points = out.get(id);
      if (!points) out.set(id, (points = []));
      const columns = decodeChunk(chunk.data);
      for (let i = 0; i < columns.n; i++) points.push(pointAt(columns, i));
    }
    await tx.run(
      `DELETE FROM metric_chunks WHERE sealed = 0 AND stream_id IN (${placeholders(slice.length)})`,
      slice,
    );
  }
  return out;
}

/** The stream row's fields, min / max and latest values after the new chunks. */
function streamState(
  row: StreamRow,
  written: readonly ChunkColumns[],
  summaries: readonly ReturnType<typeof summarize>[],
): { fields: string; summary: string; latest: string } {
  const fields = new Set(JSON.parse(row.fields) as string[]);
  const summary = parseJson(row.summary) as Record<string, [number, number]>;
  const latest = parseJson(row.latest) as Record<string, JsonValue>;
  for (let c = 0; c < written.length; c++) {
    const columns = written[c]!;
    for (const [name, s] of allFieldStats(summaries[c]!)) {
      const old = summary[name];
      summary[name] = old ? [Math.min(old[0], s[1]!), Math.max(old[1], s[2]!)] : [s[1]!, s[2]!];
    }
    for (const [name, column] of columns.numeric) {
      fields.add(name);
      for (let i = columns.n - 1; i >= 0; i--) {
        if (!isMissing(column, i)) {
          latest[name] = column.values[i]!;
          break;
        }
      }
    }
    for (const [name, entries] of columns.json) {
      fields.add(name);
      let lastIndex = -1;
      for (const i of entries.keys()) if (i > lastIndex) lastIndex = i;
      if (lastIndex >= 0) latest[name] = entries.get(lastIndex)!;
    }
  }
  return {
    fields: JSON.stringify([...fields].sort()),
    summary: encodeJson(summary),
    latest: encodeJson(latest),
  };
}

/** A run's latest values (`stream.field` → value; `field` for the unnamed stream) with new stream values. */
export function mergeRunLatest(
  runLatest: Readonly<Record<string, JsonValue>>,
  streams: ReadonlyMap<string, string>,
): Record<string, JsonValue> {
  const out = { ...runLatest };
  for (const [stream, latest] of streams) {
    const values = parseJson(latest) as Record<string, JsonValue>;
    for (const field in values) out[stream === "" ? field : `${stream}.${field}`] = values[field]!;
  }
  return out;
}
