import type { ChunkColumns } from "./chunk-codec.js";
import { isMissing } from "./chunk-codec.js";

/**
 * What a chunk row keeps about its points besides their bytes, so that charts of long streams are drawn
 * from summaries alone: per numeric field the count of non-NaN values, min, max, sum and the indices of the
 * min and max; and (for chunks of up to `maxRowFields` numeric fields) the numeric fields of those extreme
 * points, so a downsampled read returns whole points without decoding the chunk.
 *
 * Stored as two columns: the field names (JSON text, the same for most chunks of a stream, parsed once)
 * and an array of doubles, read in place without parsing:
 *   [F, R, (count, min, max, sum, argmin, argmax) × F, (index, ts, value × F) × R]
 * A row's value for a field the point lacks is the chunk codec's "missing" NaN.
 */
export interface ChunkSummary {
  readonly fields: readonly string[];
  /** The doubles described above. */
  readonly data: Float64Array;
}

/** Above this many numeric fields a summary leaves out the extreme points (they grow with fields²). */
export const maxRowFields = 16;
const stat = 6;

export function rowCount(summary: ChunkSummary): number {
  return summary.data[1]!;
}

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
  const fields = [...columns.numeric.keys()];
  const f = fields.length;
  const stats = new Float64Array(stat * f);
  const extremes = new Set<number>();
  let k = 0;
  for (const column of columns.numeric.values()) {
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
    stats.set(
      count === 0
        ? [0, NaN, NaN, 0, -1, -1]
        : [count, min, max, sum, firstIndex + argmin, firstIndex + argmax],
      k * stat,
    );
    if (count > 0) {
      extremes.add(argmin);
      extremes.add(argmax);
    }
    k++;
  }
  const rows = withRows ? [...extremes].sort((a, b) => a - b) : [];
  const data = new Float64Array(2 + stat * f + rows.length * (2 + f));
  data[0] = f;
  data[1] = rows.length;
  data.set(stats, 2);
  const bits = new Uint32Array(data.buffer);
  let at = 2 + stat * f;
  for (const i of rows) {
    data[at++] = firstIndex + i;
    data[at++] = columns.ts[i]!;
    for (const column of columns.numeric.values()) {
      // Copy the bits: the value may be the codec's "missing" NaN, which must survive as it is.
      bits[2 * at] = column.bits[2 * i]!;
      bits[2 * at + 1] = column.bits[2 * i + 1]!;
      at++;
    }
  }
  return { fields, data };
}

/** Per field of a summary: [count, min, max, sum, argmin, argmax], or undefined when it has no values. */
export function fieldStats(summary: ChunkSummary, field: string): Float64Array | undefined {
  const k = summary.fields.indexOf(field);
  if (k < 0 || summary.data[2 + stat * k] === 0) return undefined;
  return summary.data.subarray(2 + stat * k, 2 + stat * (k + 1));
}

/** Every field's stats: name → [count, min, max, sum, argmin, argmax]. */
export function allFieldStats(summary: ChunkSummary): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  summary.fields.forEach((name, k) => {
    if (summary.data[2 + stat * k] !== 0)
      out.set(name, summary.data.subarray(2 + stat * k, 2 + stat * (k + 1)));
  });
  return out;
}

/** The bytes stored for a summary's doubles. */
export function summaryBytes(summary: ChunkSummary): Buffer {
  return Buffer.from(summary.data.buffer, summary.data.byteOffset, summary.data.byteLength);
}

const fieldLists = new Map<string, readonly string[]>();

/** A summary read back from its two columns. */
export function readSummary(fieldsJson: string, bytes: Uint8Array): ChunkSummary {
  let fields = fieldLists.get(fieldsJson);
  if (!fields) {
    fields = JSON.parse(fieldsJson) as string[];
    if (fieldLists.size > 1000) fieldLists.clear();
    fieldLists.set(fieldsJson, fields);
  }
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : Uint8Array.from(bytes);
  return { fields, data: new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8) };
}

/** A point chosen by downsampling: index, ts and the numeric fields known for it. */
export interface ExtremePoint {
  readonly index: number;
  readonly ts: number;
  readonly fields: Readonly<Record<string, number>>;
}

/**
 * The points holding the min and max of each of `fields` over a group of consecutive summaries (one bucket
 * of a downsampled read), in index order, with their values of `fields` and `carry`. Every summary must carry
 * its extreme rows.
 */
export function groupExtremes(
  summaries: readonly ChunkSummary[],
  fields: readonly string[],
  carry: readonly string[] = [],
): ExtremePoint[] {
  const wanted = new Set<number>();
  for (const field of fields) {
    let min = Infinity;
    let minAt = -1;
    let max = -Infinity;
    let maxAt = -1;
    for (const summary of summaries) {
      const s = fieldStats(summary, field);
      if (!s) continue;
      if (minAt < 0 || s[1]! < min) ((min = s[1]!), (minAt = s[4]!));
      if (maxAt < 0 || s[2]! > max) ((max = s[2]!), (maxAt = s[5]!));
    }
    if (minAt >= 0) wanted.add(minAt);
    if (maxAt >= 0) wanted.add(maxAt);
  }
  const out: ExtremePoint[] = [];
  for (const summary of summaries) {
    const data = summary.data;
    const f = data[0]!;
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
    // The extremes' fields, and the fields carried along (a chart's x, e.g. step).
    const returned = carry.length > 0 ? [...new Set([...fields, ...carry])] : fields;
    const positions = returned.map((field) => summary.fields.indexOf(field));
    for (let r = 0, at = 2 + stat * f; r < data[1]!; r++, at += 2 + f) {
      const index = data[at]!;
      if (!wanted.has(index)) continue;
      wanted.delete(index);
      const picked: Record<string, number> = {};
      positions.forEach((k, j) => {
        if (k < 0) return;
        const p = at + 2 + k;
        if (!isMissing({ values: data, bits }, p)) picked[returned[j]!] = data[p]!;
      });
      out.push({ index, ts: data[at + 1]!, fields: picked });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}
