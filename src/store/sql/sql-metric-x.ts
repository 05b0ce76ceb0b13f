import { decodeChunk, isMissing } from "../metrics/chunk-codec.js";
import { fieldStats, readSummary } from "../metrics/chunk-summary.js";
import type { MetricRange } from "../store.js";
import type { SqlExecutor } from "./sql-driver.js";

interface ChunkX {
  first_index: number | string;
  count: number | string;
  first_ts: number | string;
  last_ts: number | string;
  summary_fields: string;
  summary: Uint8Array;
}

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
  const chunks = await tx.all<ChunkX>(
    `SELECT first_index, count, first_ts, last_ts, summary_fields, summary FROM metric_chunks
     WHERE stream_id = ? ORDER BY first_index`,
    [streamId],
  );
  const spans: [number, number][] = [];
  for (const chunk of chunks) {
    if (by === "ts") spans.push([Number(chunk.first_ts), Number(chunk.last_ts)]);
    else {
      const stats = fieldStats(readSummary(chunk.summary_fields, chunk.summary), by);
      if (!stats || stats[0] !== Number(chunk.count)) return undefined;
      spans.push([stats[1]!, stats[2]!]);
    }
  }
  for (let k = 0; k < spans.length; k++) {
    const [min, max] = spans[k]!;
    if (!(min <= max) || (k > 0 && !(spans[k - 1]![1] <= min))) return undefined;
  }
  // Values of one chunk, decoded (the ends of the range).
  const values = async (k: number): Promise<Float64Array | undefined> => {
    const rows = await tx.all<{ data: Uint8Array }>(
      `SELECT data FROM metric_chunks WHERE stream_id = ? AND first_index = ?`,
      [streamId, Number(chunks[k]!.first_index)],
    );
    const columns = decodeChunk(rows[0]!.data, by === "ts" ? new Set<string>() : new Set([by]));
    if (by === "ts") return columns.ts;
    const column = columns.numeric.get(by);
    if (!column) return undefined;
    for (let i = 0; i < columns.n; i++) if (isMissing(column, i)) return undefined;
    return column.values;
  };
  let from = 0;
  let to = count;
  if (range.from !== undefined) {
    const k = spans.findIndex(([, max]) => max >= range.from!);
    if (k < 0) from = count;
    else {
      const x = await values(k);
      if (!x) return undefined;
      let i = 0;
      while (i < x.length && x[i]! < range.from) i++;
      from = Number(chunks[k]!.first_index) + i;
    }
  }
  if (range.to !== undefined) {
    let k = -1;
    spans.forEach(([min], j) => {
      if (min <= range.to!) k = j;
    });
    if (k < 0) to = 0;
    else {
      const x = await values(k);
      if (!x) return undefined;
      let i = x.length;
      while (i > 0 && x[i - 1]! > range.to) i--;
      to = Number(chunks[k]!.first_index) + i;
    }
  }
  if (range.edges) {
    from = Math.max(0, from - 1);
    to = Math.min(count, to + 1);
  }
  return { from, to: Math.max(from, to) };
}
