import { decodeChunk, isMissing } from "../metrics/chunk-codec.js";
import { fieldStats, readSummary } from "../metrics/chunk-summary.js";
import type { MetricRange } from "../store.js";
import type { SqlExecutor } from "./sql-driver.js";
import { chunkSize } from "./sql-metric-append.js";
import { groupChunks, groupsWithin } from "./sql-metric-groups.js";
import type { SummaryRow } from "./sql-metric-groups.js";

type ChunkX = SummaryRow;

/**
 * The index range of a read by time or by a field (`range.by`), when the values increase from chunk to chunk
 * (as steps and times do): found from the chunks' first/last times or field minima/maxima, and the two
 * chunks at the ends decoded for the exact bounds (one index more each side with `edges`). A downsampled read
 * of that index range is then answered from the summaries. Undefined when the values do not increase, or
 * some chunk has none: the caller decodes the range instead.
 */
export async function indexRangeOf(
  tx: SqlExecutor,
  streamId: number,
  count: number,
  range: MetricRange,
): Promise<{ from: number; to: number } | undefined> {
  const by = range.by!;
  const chunkX = `SELECT first_index, count, first_ts, last_ts, summary_fields, summary FROM metric_chunks WHERE stream_id = ?`;
  // Whole groups of ten chunks where the stream has them (from its start), its chunks after them.
  const groups = await groupsWithin(tx, streamId, 0, count, chunkSize);
  const groupsEnd =
    groups.length > 0 && Number(groups[0]!.first_index) === 0 ? groups.length * chunkSize * groupChunks : 0;
  const units: ChunkX[] = [
    ...(groupsEnd > 0 ? groups : []),
    ...(await tx.all<ChunkX>(`${chunkX} AND first_index >= ? ORDER BY first_index`, [streamId, groupsEnd])),
  ];
  const spans = spansOf(units, by);
  if (!spans) return undefined;
  // The chunk of a unit holding the bound: the unit itself, or the chunk of a group found by its chunks' spans.
  const chunkAt = async (
    k: number,
    pick: (spans: [number, number][]) => number,
  ): Promise<ChunkX | undefined> => {
    const unit = units[k]!;
    if (Number(unit.count) <= chunkSize) return unit;
    const first = Number(unit.first_index);
    const chunks = await tx.all<ChunkX>(
      `${chunkX} AND first_index >= ? AND first_index < ? ORDER BY first_index`,
      [streamId, first, first + Number(unit.count)],
    );
    const inner = spansOf(chunks, by);
    if (!inner) return undefined;
    const j = pick(inner);
    return j < 0 ? undefined : chunks[j];
  };
  // Values of one chunk, decoded (the ends of the range).
  const values = async (chunk: ChunkX): Promise<Float64Array | undefined> => {
    const rows = await tx.all<{ data: Uint8Array }>(
      `SELECT data FROM metric_chunks WHERE stream_id = ? AND first_index = ?`,
      [streamId, Number(chunk.first_index)],
    );
    const columns = decodeChunk(rows[0]!.data, by === "ts" ? new Set<string>() : new Set([by]));
    if (by === "ts") return columns.ts;
    const column = columns.numeric.get(by);
    if (!column) return undefined;
    for (let i = 0; i < columns.n; i++) if (isMissing(column, i)) return undefined;
    return column.values;
  };
  const firstReaching = (list: [number, number][]) => list.findIndex(([, max]) => max >= range.from!);
  const lastStarting = (list: [number, number][]) => {
    let k = -1;
    list.forEach(([min], j) => {
      if (min <= range.to!) k = j;
    });
    return k;
  };
  let from = 0;
  let to = count;
  if (range.from !== undefined) {
    const k = firstReaching(spans);
    if (k < 0) from = count;
    else {
      const chunk = await chunkAt(k, firstReaching);
      const x = chunk && (await values(chunk));
      if (!chunk || !x) return undefined;
      let i = 0;
      while (i < x.length && x[i]! < range.from) i++;
      from = Number(chunk.first_index) + i;
    }
  }
  if (range.to !== undefined) {
    const k = lastStarting(spans);
    if (k < 0) to = 0;
    else {
      const chunk = await chunkAt(k, lastStarting);
      const x = chunk && (await values(chunk));
      if (!chunk || !x) return undefined;
      let i = x.length;
      while (i > 0 && x[i - 1]! > range.to) i--;
      to = Number(chunk.first_index) + i;
    }
  }
  if (range.edges) {
    from = Math.max(0, from - 1);
    to = Math.min(count, to + 1);
  }
  return { from, to: Math.max(from, to) };
}

/** Each row's [min, max] of `by`, when they increase from row to row and every point has it; else undefined. */
function spansOf(rows: readonly ChunkX[], by: string): [number, number][] | undefined {
  const spans: [number, number][] = [];
  for (const row of rows) {
    if (by === "ts") spans.push([Number(row.first_ts), Number(row.last_ts)]);
    else {
      const stats = fieldStats(readSummary(row.summary_fields, row.summary), by);
      if (!stats || stats[0] !== Number(row.count)) return undefined;
      spans.push([stats[1]!, stats[2]!]);
    }
  }
  for (let k = 0; k < spans.length; k++) {
    const [min, max] = spans[k]!;
    if (!(min <= max) || (k > 0 && !(spans[k - 1]![1] <= min))) return undefined;
  }
  return spans;
}
