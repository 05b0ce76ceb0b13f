import type { ChunkSummary } from "../metrics/chunk-summary.js";
import { readSummary, summaryBytes } from "../metrics/chunk-summary.js";
import { mergeSummaries } from "../metrics/summary-merge.js";
import type { SqlExecutor } from "./sql-driver.js";

/**
 * `metric_groups`: one row per `groupChunks` consecutive sealed chunks of a stream, with the merged summary
 * of their points (same format as a chunk's). Written when a stream seals the last chunk of a group; a
 * downsampled read of a long range reads these instead of ten times as many chunk rows (a 10M-point stream:
 * 1,000 rows instead of 10,000). Streams with more than 16 numeric fields (summaries without extreme points)
 * and chunks sealed before the table existed have none: reads use the chunks there.
 */
export const groupChunks = 10;

/** A sealed chunk just written by a batch. */
export interface SealedChunk {
  readonly first: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly summary: ChunkSummary;
}

interface ChunkSummaryRow {
  first_index: number | string;
  first_ts: number | string;
  last_ts: number | string;
  summary_fields: string;
  summary: Uint8Array;
}

/** Writes the group rows completed by the sealed chunks of a batch (stream id → its chunks, in order). */
export async function writeGroups(
  tx: SqlExecutor,
  sealed: ReadonlyMap<number, readonly SealedChunk[]>,
  chunkSize: number,
): Promise<void> {
  const groupPoints = chunkSize * groupChunks;
  const rows: unknown[][] = [];
  for (const [streamId, chunks] of sealed) {
    const byFirst = new Map(chunks.map((chunk) => [chunk.first, chunk]));
    for (const chunk of chunks) {
      const end = chunk.first + chunkSize;
      if (end % groupPoints !== 0) continue;
      const start = end - groupPoints;
      const parts: SealedChunk[] = [];
      const earlier: number[] = [];
      for (let first = start; first < end; first += chunkSize) {
        const known = byFirst.get(first);
        if (known) parts.push(known);
        else earlier.push(first);
      }
      if (earlier.length > 0) {
        const stored = await tx.all<ChunkSummaryRow>(
          `SELECT first_index, first_ts, last_ts, summary_fields, summary FROM metric_chunks
           WHERE stream_id = ? AND sealed = 1 AND first_index >= ? AND first_index < ? ORDER BY first_index`,
          [streamId, start, start + earlier.length * chunkSize],
        );
        if (stored.length !== earlier.length) continue;
        parts.unshift(
          ...stored.map((row) => ({
            first: Number(row.first_index),
            firstTs: Number(row.first_ts),
            lastTs: Number(row.last_ts),
            summary: readSummary(row.summary_fields, row.summary),
          })),
        );
      }
      const merged = mergeSummaries(parts.map((part) => part.summary));
      if (!merged) continue;
      rows.push([
        streamId,
        start,
        groupPoints,
        parts[0]!.firstTs,
        parts[parts.length - 1]!.lastTs,
        JSON.stringify(merged.fields),
        summaryBytes(merged),
      ]);
    }
  }
  for (let at = 0; at < rows.length; at += 200) {
    const slice = rows.slice(at, at + 200);
    await tx.run(
      `INSERT INTO metric_groups (stream_id, first_index, count, first_ts, last_ts, summary_fields, summary)
       VALUES ${slice.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")} ON CONFLICT DO NOTHING`,
      slice.flat(),
    );
  }
}

/** A group or chunk summary row as reads use it. */
export interface SummaryRow {
  first_index: number | string;
  count: number | string;
  first_ts: number | string;
  last_ts: number | string;
  summary_fields: string;
  summary: Uint8Array;
}

/**
 * The contiguous run of group rows lying inside `from..to` (index, `to` exclusive), or none when there are
 * none or they leave a hole (chunks sealed before groups existed).
 */
export async function groupsWithin(
  tx: SqlExecutor,
  streamId: number,
  from: number,
  to: number,
  chunkSize: number,
): Promise<SummaryRow[]> {
  const groupPoints = chunkSize * groupChunks;
  const rows = await tx.all<SummaryRow>(
    `SELECT first_index, count, first_ts, last_ts, summary_fields, summary FROM metric_groups
     WHERE stream_id = ? AND first_index >= ? AND first_index <= ? ORDER BY first_index`,
    [streamId, from, to - groupPoints],
  );
  for (let k = 1; k < rows.length; k++)
    if (Number(rows[k]!.first_index) !== Number(rows[k - 1]!.first_index) + groupPoints) return [];
  return rows;
}
