import type { JsonValue } from "../../format/json-codec.js";
import { parseJson } from "../../format/json-codec.js";
import { decodeChunk, isMissing, pointAt } from "../metrics/chunk-codec.js";
import { bucketCount, selectRows } from "../../format/downsample.js";
import type { ChunkSummary } from "../metrics/chunk-summary.js";
import { groupExtremes, maxRowFields, readSummary, summarize } from "../metrics/chunk-summary.js";
import type { MetricPoint, MetricRange, MetricSeries, MetricStreamSummary } from "../store.js";
import { placeholders } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";
import { groupChunks, groupsWithin } from "./sql-metric-groups.js";
import { indexRangeOf } from "./sql-metric-x.js";
import type { StreamRow } from "./sql-metric-append.js";
import { chunkSize, streamColumns } from "./sql-metric-append.js";

export { appendMetrics, chunkSize } from "./sql-metric-append.js";

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
  summary_fields: string;
  summary: Uint8Array;
}

export async function readMetrics(
  tx: SqlExecutor,
  runId: string,
  stream: string,
  range: MetricRange = {},
  carry: readonly string[] = [],
): Promise<MetricSeries> {
  const rows = await tx.all<StreamRow>(
    `SELECT ${streamColumns} FROM metric_streams WHERE run_id = ? AND stream = ?`,
    [runId, stream],
  );
  const row = rows[0];
  if (!row) return { stream, count: 0, downsampled: false, points: [] };
  // Reads by time or field, with edges or of the last points: the decoded chunks, by the one rule. The
  // summaries below apply the same rule to whole chunks.
  const byIndex = range.by === undefined || range.by === "index";
  if (byIndex && range.edges && range.last === undefined) {
    // By index, the edges are one more index each side: the summaries still answer.
    const { edges: _edges, by: _by, ...rest } = range;
    return readMetrics(tx, runId, stream, {
      ...rest,
      ...(range.from !== undefined ? { from: Math.max(0, range.from - 1) } : {}),
      ...(range.to !== undefined ? { to: range.to + 1 } : {}),
    });
  }
  if (!byIndex && range.maxPoints !== undefined && range.last === undefined) {
    // A chart by step or time: mapped to an index range, downsampled from the summaries like any other.
    const mapped = await indexRangeOf(tx, Number(row.id), Number(row.count), range);
    if (mapped && mapped.to - mapped.from > range.maxPoints) {
      const { by, edges: _edges, ...rest } = range;
      // The field compared comes back with the points (it is their x), its extremes not kept.
      const series = await readMetrics(
        tx,
        runId,
        stream,
        { ...rest, from: mapped.from, to: mapped.to },
        by === "ts" ? [] : [by!],
      );
      return { ...series, inRange: mapped.to - mapped.from };
    }
    // A short range: only its chunks are decoded.
    if (mapped) return readSelected(tx, row, stream, range, [], mapped);
  }
  if (!byIndex || range.edges || range.last !== undefined) return readSelected(tx, row, stream, range);
  const count = Number(row.count);
  const from = Math.min(range.from ?? 0, count);
  const to = Math.max(from, Math.min(range.to ?? count, count));
  const only = range.fields ? new Set(range.fields) : undefined;
  const n = to - from;
  const inRange = `stream_id = ? AND first_index < ? AND first_index > ?`;
  const rangeParams = [Number(row.id), to, from - chunkSize];
  const decoded = only && carry.length > 0 ? new Set([...only, ...carry]) : only;
  const loadChunks = async (extra = "", extraParams: readonly unknown[] = [], fields = decoded) => {
    const chunks = await tx.all<{ first_index: number | string; data: Uint8Array }>(
      `SELECT first_index, data FROM metric_chunks WHERE ${inRange}${extra} ORDER BY first_index`,
      [...rangeParams, ...extraParams],
    );
    return chunks.map((chunk) => ({
      first: Number(chunk.first_index),
      columns: decodeChunk(chunk.data, fields),
    }));
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
  // Nothing to keep extremes of: evenly spaced points, by the one rule.
  if (numericFields.length === 0) return readSelected(tx, row, stream, range, carry);
  const buckets = bucketCount(maxPoints, numericFields.length);
  const streamId = Number(row.id);
  const metaSelect = `SELECT first_index, count, summary_fields, summary FROM metric_chunks WHERE stream_id = ?`;
  // A long range: whole groups of chunks (ten times fewer rows) where it holds enough of them, chunks at the ends.
  const groups =
    n / (chunkSize * groupChunks) >= buckets / 2 ? await groupsWithin(tx, streamId, from, to, chunkSize) : [];
  let metas: ChunkMeta[];
  if (groups.length > 0) {
    const last = groups[groups.length - 1]!;
    const head = [streamId, Number(groups[0]!.first_index), from - chunkSize];
    const tail = [streamId, to, Number(last.first_index) + Number(last.count)];
    metas = [
      ...(await tx.all<ChunkMeta>(
        `${metaSelect} AND first_index < ? AND first_index > ? ORDER BY first_index`,
        head,
      )),
      ...(await tx.all<ChunkMeta>(
        `${metaSelect} AND first_index < ? AND first_index >= ? ORDER BY first_index`,
        tail,
      )),
    ];
  } else {
    metas = await tx.all<ChunkMeta>(
      `${metaSelect} AND first_index < ? AND first_index > ? ORDER BY first_index`,
      rangeParams,
    );
  }
  const toPoints = (groups: ChunkSummary[][]) => {
    const points: (MetricPoint & { index: number })[] = [];
    for (const group of groups)
      for (const point of groupExtremes(group, numericFields, carry)) points.push(point);
    return { stream, count, downsampled: true, points };
  };

  if (groups.length > 0 || metas.length >= buckets / 2) {
    // From summaries: whole chunks are grouped into buckets; only chunks cut by the range (or whose
    // summary lacks the extreme points) are decoded.
    const summaries: ChunkSummary[] = [];
    const decode: number[] = [];
    for (const meta of metas) {
      const first = Number(meta.first_index);
      const summary = readSummary(meta.summary_fields, meta.summary);
      // Chunks cut by the range, and chunks stored without their extreme points, are decoded.
      if (first < from || first + Number(meta.count) > to || summary.fields.length > maxRowFields)
        decode.push(first);
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
    if (groups.length > 0) {
      // Chunks and groups in index order, each in the bucket where it starts.
      const units = [
        ...metas.map((meta, k) => ({ first: Number(meta.first_index), summary: summaries[k]! })),
        ...groups.map((group) => ({
          first: Number(group.first_index),
          summary: readSummary(group.summary_fields, group.summary),
        })),
      ].sort((a, b) => a.first - b.first);
      const grouped: ChunkSummary[][] = Array.from({ length: buckets }, () => []);
      for (const unit of units) {
        const b = Math.floor(((Math.max(unit.first, from) - from) * buckets) / n);
        grouped[Math.min(buckets - 1, b)]!.push(unit.summary);
      }
      return toPoints(grouped.filter((group) => group.length > 0));
    }
    const groupCount = Math.min(buckets, summaries.length);
    const grouped: ChunkSummary[][] = [];
    for (let g = 0; g < groupCount; g++) {
      grouped.push(
        summaries.slice(
          Math.floor((g * summaries.length) / groupCount),
          Math.floor(((g + 1) * summaries.length) / groupCount),
        ),
      );
    }
    return toPoints(grouped);
  }
  // Few chunks, many buckets: the chunks are decoded and the points picked by the one rule (downsample.ts).
  return readSelected(tx, row, stream, range, carry);
}

/**
 * A read by time or field, with edges, or of the last points: the chunks of the index range are decoded
 * into columns and the rows picked by the one downsampling rule (store/downsample.ts).
 */
async function readSelected(
  tx: SqlExecutor,
  row: StreamRow,
  stream: string,
  range: MetricRange,
  carry: readonly string[] = [],
  bounds?: { readonly from: number; readonly to: number },
): Promise<MetricSeries> {
  const count = Number(row.count);
  const by = range.by ?? "index";
  const edge = range.edges ? 1 : 0;
  let lo = bounds?.from ?? 0;
  let hi = bounds?.to ?? count;
  if (by === "index") {
    lo = Math.max(0, (range.from ?? 0) - edge);
    hi = Math.min(count, (range.to ?? count) + edge);
    if (range.last !== undefined && range.maxPoints === undefined) lo = Math.max(lo, hi - range.last);
  }
  if (hi <= lo) return { stream, count, downsampled: false, inRange: 0, points: [] };
  const only = range.fields ? new Set(range.fields) : undefined;
  const extra = by !== "index" && by !== "ts" ? [...carry, by] : carry;
  const returned = only && extra.length > 0 ? new Set([...only, ...extra]) : only;
  const rawChunks = await tx.all<{ first_index: number | string; data: Uint8Array }>(
    `SELECT first_index, data FROM metric_chunks WHERE stream_id = ? AND first_index < ? AND first_index > ?
     ORDER BY first_index`,
    [Number(row.id), hi, lo - chunkSize],
  );
  const chunks = rawChunks.map((chunk) => ({
    first: Number(chunk.first_index),
    columns: decodeChunk(chunk.data, returned),
  }));
  const n = hi - lo;
  const x = new Float64Array(n).fill(NaN);
  const numeric = [...new Set(chunks.flatMap((c) => [...c.columns.numeric.keys()]))].filter(
    (f) => !only || only.has(f),
  );
  const ys = numeric.map(() => new Float64Array(n).fill(NaN));
  const owner = new Int32Array(n).fill(-1);
  chunks.forEach(({ first, columns }, k) => {
    for (let i = 0; i < columns.n; i++) {
      const at = first + i - lo;
      if (at < 0 || at >= n) continue;
      owner[at] = k;
      if (by === "index") x[at] = first + i;
      else if (by === "ts") x[at] = columns.ts[i]!;
      else {
        const column = columns.numeric.get(by);
        if (column && !isMissing(column, i)) x[at] = column.values[i]!;
      }
      numeric.forEach((field, f) => {
        const column = columns.numeric.get(field);
        if (column && !isMissing(column, i)) ys[f]![at] = column.values[i]!;
      });
    }
  });
  const xRange = {
    ...(range.from !== undefined ? { from: range.from } : {}),
    ...(range.to !== undefined ? { to: by === "index" ? range.to - 1 : range.to } : {}),
  };
  const selection = selectRows(x, ys, xRange, range.maxPoints ?? Number.MAX_SAFE_INTEGER, {
    edges: range.edges === true,
  });
  const rows =
    range.last === undefined
      ? selection.rows
      : selection.rows.slice(Math.max(0, selection.rows.length - range.last));
  const points: (MetricPoint & { index: number })[] = [];
  for (const at of rows) {
    const chunk = chunks[owner[at]!];
    if (!chunk) continue;
    points.push({ index: lo + at, ...pointAt(chunk.columns, lo + at - chunk.first, returned) });
  }
  return { stream, count, downsampled: selection.downsampled, inRange: selection.total, points };
}
