import type { JsonValue } from "../../tracking/json-codec.js";
import { encodeJson, parseJson } from "../../tracking/json-codec.js";
import type { ChunkColumns } from "../metrics/chunk-codec.js";
import { decodeChunk, encodeChunk, isMissing, pointAt, toColumns } from "../metrics/chunk-codec.js";
import type { ChunkSummary } from "../metrics/chunk-summary.js";
import { groupExtremes, summarize } from "../metrics/chunk-summary.js";
import type { MetricAppend, MetricPoint, MetricRange, MetricSeries, MetricStreamSummary } from "../store.js";
import { placeholders } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";

/** Points per sealed chunk row; the last rows of a stream (open chunks) hold fewer until they add up to it. */
export const chunkSize = 1000;

interface StreamRow {
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

const streamColumns = "id, stream, count, open_count, fields, first_ts, last_ts, summary, latest";

/**
 * Appends the points of a batch to their streams. Small appends become small "open" chunk rows (one insert,
 * no rewrite); once the open rows of a stream reach `chunkSize` points they are merged into sealed chunks,
 * so each point is written at most twice.
 */
export async function appendMetrics(
  tx: SqlExecutor,
  runId: string,
  appends: readonly MetricAppend[],
  forUpdate: string,
): Promise<void> {
  const byStream = new Map<string, MetricPoint[]>();
  for (const append of appends) {
    if (append.points.length === 0) continue;
    const points = byStream.get(append.stream);
    if (points) for (const point of append.points) points.push(point);
    else byStream.set(append.stream, [...append.points]);
  }
  // A fixed lock order: two batches of one run never wait on each other's streams in a cycle.
  for (const stream of [...byStream.keys()].sort()) {
    await appendStream(tx, runId, stream, byStream.get(stream)!, forUpdate);
  }
}

async function streamRow(
  tx: SqlExecutor,
  runId: string,
  stream: string,
  forUpdate: string,
): Promise<StreamRow> {
  const select = `SELECT ${streamColumns} FROM metric_streams WHERE run_id = ? AND stream = ?`;
  const existing = await tx.all<StreamRow>(select + forUpdate, [runId, stream]);
  if (existing[0]) return existing[0];
  const created = await tx.all<StreamRow>(
    `INSERT INTO metric_streams (run_id, stream, count, open_count, fields, summary, latest)
     VALUES (?, ?, 0, 0, '[]', '{}', '{}') ON CONFLICT (run_id, stream) DO NOTHING RETURNING ${streamColumns}`,
    [runId, stream],
  );
  if (created[0]) return created[0];
  const raced = await tx.all<StreamRow>(select + forUpdate, [runId, stream]);
  return raced[0]!;
}

async function appendStream(
  tx: SqlExecutor,
  runId: string,
  stream: string,
  points: MetricPoint[],
  forUpdate: string,
): Promise<void> {
  const row = await streamRow(tx, runId, stream, forUpdate);
  const streamId = Number(row.id);
  const count = Number(row.count);
  const openCount = Number(row.open_count);
  const written: ChunkColumns[] = [];
  const summaries: ChunkSummary[] = [];
  const rows: unknown[][] = [];
  const insert = (firstIndex: number, chunk: readonly MetricPoint[], sealed: boolean) => {
    const columns = toColumns(chunk);
    const summary = summarize(columns, firstIndex);
    written.push(columns);
    summaries.push(summary);
    rows.push([
      streamId,
      firstIndex,
      chunk.length,
      sealed ? 1 : 0,
      columns.ts[0]!,
      columns.ts[columns.n - 1]!,
      encodeJson(summary),
      encodeChunk(columns),
    ]);
  };
  let newOpen: number;
  if (openCount + points.length < chunkSize) {
    insert(count, points, false);
    newOpen = openCount + points.length;
  } else {
    let all = points;
    if (openCount > 0) {
      const open = await tx.all<{ data: Uint8Array }>(
        `SELECT data FROM metric_chunks WHERE stream_id = ? AND sealed = 0 ORDER BY first_index`,
        [streamId],
      );
      all = [];
      for (const chunk of open) {
        const columns = decodeChunk(chunk.data);
        for (let i = 0; i < columns.n; i++) all.push(pointAt(columns, i));
      }
      for (const point of points) all.push(point);
      await tx.run(`DELETE FROM metric_chunks WHERE stream_id = ? AND sealed = 0`, [streamId]);
    }
    const base = count - openCount;
    let at = 0;
    for (; at + chunkSize <= all.length; at += chunkSize)
      insert(base + at, all.slice(at, at + chunkSize), true);
    newOpen = all.length - at;
    if (newOpen > 0) insert(base + at, all.slice(at), false);
  }
  // Many rows per statement: one round trip per 200 chunks rather than per chunk.
  for (let start = 0; start < rows.length; start += 200) {
    const slice = rows.slice(start, start + 200);
    await tx.run(
      `INSERT INTO metric_chunks (stream_id, first_index, count, sealed, first_ts, last_ts, summary, data)
       VALUES ${slice.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      slice.flat(),
    );
  }
  const fields = new Set(JSON.parse(row.fields) as string[]);
  const summary = parseJson(row.summary) as Record<string, [number, number]>;
  const latest = parseJson(row.latest) as Record<string, JsonValue>;
  for (let c = 0; c < written.length; c++) {
    const columns = written[c]!;
    for (const [name, s] of Object.entries(summaries[c]!.f)) {
      const old = summary[name];
      summary[name] = old ? [Math.min(old[0], s[1]), Math.max(old[1], s[2])] : [s[1], s[2]];
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
  await tx.run(
    `UPDATE metric_streams SET count = ?, open_count = ?, fields = ?, first_ts = ?, last_ts = ?, summary = ?, latest = ?
     WHERE id = ?`,
    [
      count + points.length,
      newOpen,
      JSON.stringify([...fields].sort()),
      row.first_ts ?? points[0]!.ts,
      points[points.length - 1]!.ts,
      encodeJson(summary),
      encodeJson(latest),
      streamId,
    ],
  );
}

function streamSummary(row: StreamRow): MetricStreamSummary {
  const minMax = parseJson(row.summary) as Record<string, [number, number]>;
  const latest = parseJson(row.latest) as Record<string, JsonValue>;
  const summary: Record<string, { min: number; max: number; last: JsonValue }> = {};
  for (const [name, [min, max]] of Object.entries(minMax))
    summary[name] = { min, max, last: latest[name] ?? null };
  return {
    stream: row.stream,
    count: Number(row.count),
    fields: JSON.parse(row.fields) as string[],
    ...(row.first_ts === null ? {} : { firstTs: Number(row.first_ts) }),
    ...(row.last_ts === null ? {} : { lastTs: Number(row.last_ts) }),
    summary,
  };
}

export async function listMetricStreams(tx: SqlExecutor, runId: string): Promise<MetricStreamSummary[]> {
  const rows = await tx.all<StreamRow>(
    `SELECT ${streamColumns} FROM metric_streams WHERE run_id = ? ORDER BY stream`,
    [runId],
  );
  return rows.map(streamSummary);
}

interface ChunkMeta {
  first_index: number | string;
  count: number | string;
  summary: string;
}

export async function readMetrics(
  tx: SqlExecutor,
  runId: string,
  stream: string,
  range: MetricRange = {},
): Promise<MetricSeries> {
  const rows = await tx.all<StreamRow>(
    `SELECT ${streamColumns} FROM metric_streams WHERE run_id = ? AND stream = ?`,
    [runId, stream],
  );
  const row = rows[0];
  if (!row) return { stream, count: 0, downsampled: false, points: [] };
  const count = Number(row.count);
  const from = Math.min(range.from ?? 0, count);
  const to = Math.max(from, Math.min(range.to ?? count, count));
  const only = range.fields ? new Set(range.fields) : undefined;
  const n = to - from;
  const inRange = `stream_id = ? AND first_index < ? AND first_index > ?`;
  const rangeParams = [Number(row.id), to, from - chunkSize];
  const loadChunks = async (extra = "", extraParams: readonly unknown[] = []) => {
    const chunks = await tx.all<{ first_index: number | string; data: Uint8Array }>(
      `SELECT first_index, data FROM metric_chunks WHERE ${inRange}${extra} ORDER BY first_index`,
      [...rangeParams, ...extraParams],
    );
    return chunks.map((chunk) => ({ first: Number(chunk.first_index), columns: decodeChunk(chunk.data) }));
  };

  if (range.maxPoints === undefined || n <= range.maxPoints) {
    const points: (MetricPoint & { index: number })[] = [];
    for (const { first, columns } of await loadChunks()) {
      for (let i = Math.max(0, from - first); i < columns.n && first + i < to; i++) {
        points.push({ index: first + i, ...pointAt(columns, i, only) });
      }
    }
    return { stream, count, downsampled: false, points };
  }

  const numericFields = Object.keys(parseJson(row.summary) as object).filter((f) => !only || only.has(f));
  const maxPoints = range.maxPoints;
  if (numericFields.length === 0) {
    // Nothing to keep extremes of: evenly spaced points.
    const chunks = await loadChunks();
    const points: (MetricPoint & { index: number })[] = [];
    for (let k = 0; k < maxPoints; k++) {
      const index = from + Math.floor((k * n) / maxPoints);
      const chunk = chunks.find((c) => index >= c.first && index < c.first + c.columns.n);
      if (chunk) points.push({ index, ...pointAt(chunk.columns, index - chunk.first, only) });
    }
    return { stream, count, downsampled: true, points };
  }
  const buckets = Math.max(1, Math.floor(maxPoints / (2 * numericFields.length)));
  const metas = await tx.all<ChunkMeta>(
    `SELECT first_index, count, summary FROM metric_chunks WHERE ${inRange} ORDER BY first_index`,
    rangeParams,
  );
  const toPoints = (groups: ChunkSummary[][]) => {
    const points: (MetricPoint & { index: number })[] = [];
    for (const group of groups) for (const point of groupExtremes(group, numericFields)) points.push(point);
    return { stream, count, downsampled: true, points };
  };

  if (metas.length >= buckets / 2) {
    // From summaries: whole chunks are grouped into buckets; only chunks cut by the range (or whose
    // summary lacks the extreme points) are decoded.
    const summaries: ChunkSummary[] = [];
    const decode: number[] = [];
    for (const meta of metas) {
      const first = Number(meta.first_index);
      const summary = parseJson(meta.summary) as ChunkSummary;
      if (first < from || first + Number(meta.count) > to || !summary.r) decode.push(first);
      summaries.push(summary);
    }
    if (decode.length > 0) {
      const decoded = await loadChunks(` AND first_index IN (${placeholders(decode.length)})`, decode);
      for (const { first, columns } of decoded) {
        const at = metas.findIndex((meta) => Number(meta.first_index) === first);
        summaries[at] = summarize(
          columns,
          first,
          Math.max(0, from - first),
          Math.min(columns.n, to - first),
          true,
        );
      }
    }
    const groups = Math.min(buckets, summaries.length);
    const grouped: ChunkSummary[][] = [];
    for (let g = 0; g < groups; g++) {
      grouped.push(
        summaries.slice(
          Math.floor((g * summaries.length) / groups),
          Math.floor(((g + 1) * summaries.length) / groups),
        ),
      );
    }
    return toPoints(grouped);
  }
  // Few chunks, many buckets: decode them and summarise each bucket's slice.
  const chunks = await loadChunks();
  const grouped: ChunkSummary[][] = [];
  for (let b = 0; b < buckets; b++) {
    const start = from + Math.floor((b * n) / buckets);
    const end = from + Math.floor(((b + 1) * n) / buckets);
    const parts: ChunkSummary[] = [];
    for (const { first, columns } of chunks) {
      const lo = Math.max(start, first);
      const hi = Math.min(end, first + columns.n);
      if (lo < hi) parts.push(summarize(columns, first, lo - first, hi - first, true));
    }
    grouped.push(parts);
  }
  return toPoints(grouped);
}
