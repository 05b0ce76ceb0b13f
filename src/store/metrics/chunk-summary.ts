import type { ChunkColumns } from "./chunk-codec.js";
import { isMissing } from "./chunk-codec.js";

/**
 * What a chunk row keeps about its points besides their bytes, so that charts of long streams are drawn
 * from summaries alone: per numeric field the count of non-NaN values, min, max, sum and where the min and
 * max are; and (for streams of up to `maxRowFields` numeric fields) the numeric fields of those extreme
 * points, so a downsampled read returns whole points without decoding the chunk.
 */
export interface ChunkSummary {
  /** field → [count, min, max, sum, index of min, index of max] over non-NaN values; indices are absolute. */
  readonly f: Readonly<Record<string, readonly [number, number, number, number, number, number]>>;
  /** The extreme points: [index, ts, numeric fields]. Absent when the stream has too many numeric fields. */
  readonly r?: readonly (readonly [number, number, Readonly<Record<string, number>>])[];
}

/** Above this many numeric fields a summary leaves out the extreme points (they grow with fields²). */
export const maxRowFields = 16;

/**
 * Summarises points `start..end` (offsets in the chunk, end exclusive) of decoded columns whose first point
 * has index `firstIndex`.
 */
export function summarize(
  columns: ChunkColumns,
  firstIndex: number,
  start = 0,
  end = columns.n,
  withRows = columns.numeric.size <= maxRowFields,
): ChunkSummary {
  const f: Record<string, [number, number, number, number, number, number]> = {};
  const extremes = new Set<number>();
  for (const [name, column] of columns.numeric) {
    const values = column.values;
    let count = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let argmin = -1;
    let argmax = -1;
    for (let i = start; i < end; i++) {
      const v = values[i]!;
      if (v !== v) continue; // NaN, or a point without this field
      count++;
      sum += v;
      if (v < min || argmin < 0) {
        min = v;
        argmin = i;
      }
      if (v > max || argmax < 0) {
        max = v;
        argmax = i;
      }
    }
    if (count === 0) continue;
    f[name] = [count, min, max, sum, firstIndex + argmin, firstIndex + argmax];
    extremes.add(argmin);
    extremes.add(argmax);
  }
  if (!withRows) return { f };
  const r: [number, number, Record<string, number>][] = [];
  for (const i of [...extremes].sort((a, b) => a - b)) {
    const fields: Record<string, number> = {};
    for (const [name, column] of columns.numeric) if (!isMissing(column, i)) fields[name] = column.values[i]!;
    r.push([firstIndex + i, columns.ts[i]!, fields]);
  }
  return { f, r };
}

/** A point chosen by downsampling: index, ts and the numeric fields known for it. */
export interface ExtremePoint {
  readonly index: number;
  readonly ts: number;
  readonly fields: Readonly<Record<string, number>>;
}

/**
 * The points holding the min and max of each of `fields` over a group of consecutive summaries (one bucket
 * of a downsampled read), in index order. Every summary must carry its extreme rows (`r`).
 */
export function groupExtremes(summaries: readonly ChunkSummary[], fields: readonly string[]): ExtremePoint[] {
  const wanted = new Set<number>();
  for (const field of fields) {
    let min: [number, number] | undefined; // value, index
    let max: [number, number] | undefined;
    for (const summary of summaries) {
      const s = summary.f[field];
      if (!s) continue;
      if (!min || s[1] < min[0]) min = [s[1], s[4]];
      if (!max || s[2] > max[0]) max = [s[2], s[5]];
    }
    if (min) wanted.add(min[1]);
    if (max) wanted.add(max[1]);
  }
  const out: ExtremePoint[] = [];
  for (const summary of summaries) {
    for (const [index, ts, rowFields] of summary.r ?? []) {
      if (!wanted.has(index)) continue;
      wanted.delete(index);
      const picked: Record<string, number> = {};
      for (const field of fields) if (field in rowFields) picked[field] = rowFields[field]!;
      out.push({ index, ts, fields: picked });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}
