import { closeSync, openSync, readSync } from "node:fs";
import { bucketCount, selectRows } from "./downsample.js";
import { parseJson } from "./json-codec.js";
import type { FieldStats, IndexChunk, MetricIndex } from "./metric-index.js";
import { S, metricRecord } from "./metric-index.js";

export interface IndexedReadOptions {
  /** "index", "ts" or a numeric field. */
  readonly by: string;
  readonly from?: number;
  readonly to?: number;
  readonly edges?: boolean;
  readonly last?: number;
  readonly maxPoints?: number;
  readonly fields?: readonly string[];
}

export interface IndexedRead {
  readonly count: number;
  readonly inRange: number;
  readonly downsampled: boolean;
  /** The chosen records, whole (`{index, data, createdAt}`), in file order. */
  readonly records: Record<string, unknown>[];
}

/** Rows a read may return whole without downsampling; beyond, the caller reads the file as before. */
const maxRawRows = 200_000;
/** Parsed chunks kept per file (about 200 KB each): a 1 % zoom of 10M points read again parses nothing. */
const maxDecoded = 128;

interface Decoded {
  readonly records: { index: number; data: Record<string, unknown> }[];
  readonly lines: [number, number][];
  readonly raw: Record<string, unknown>[];
}

/**
 * A read of a metric file through its index (metric-index.ts), as `FilesMetrics` reads its columns: the
 * range by binary search over the chunks' first and last x values (only the chunks at its ends parsed), and
 * for a downsampled read either the chunks of the range parsed and the points picked by the one rule
 * (downsample.ts), or, when the range spans at least half as many chunks as there are buckets, the chunks'
 * extremes (each chunk in the bucket where it starts; only the chunks cut by the range parsed) — the buckets
 * are then whole chunks, as in the SQL stores. Undefined when x does not increase through the file (or a
 * point lacks it): the caller reads the columns instead.
 */
export function readWithIndex(index: MetricIndex, options: IndexedReadOptions): IndexedRead | undefined {
  const chunks = index.all;
  const count = index.count;
  const xKey = options.by === "index" ? undefined : options.by === "ts" ? "_ts" : options.by;
  const statsOf = (chunk: IndexChunk, key: string | undefined): FieldStats | undefined =>
    key === undefined ? chunk.ix : chunk.f[key];
  let previous = -Infinity;
  for (const chunk of chunks) {
    const stats = statsOf(chunk, xKey);
    if (!stats || stats[S.present] !== chunk.n || stats[S.sorted] !== 1 || !(stats[S.first]! >= previous))
      return undefined;
    previous = stats[S.last]!;
  }
  if (count === 0) return { count, inRange: 0, downsampled: false, records: [] };
  const starts: number[] = [];
  let rows = 0;
  for (const chunk of chunks) (starts.push(rows), (rows += chunk.n));
  const fd = openSync(index.file, "r");
  try {
    const decoded = index.decoded as Map<string, Decoded>;
    const decode = (k: number): Decoded => {
      const chunk = chunks[k]!;
      const key = `${chunk.s}:${chunk.e}`;
      let out = decoded.get(key);
      if (out) {
        decoded.delete(key);
        decoded.set(key, out);
        return out;
      }
      const bytes = Buffer.allocUnsafe(chunk.e - chunk.s);
      readSync(fd, bytes, 0, bytes.length, chunk.s);
      out = { records: [], lines: [], raw: [] };
      let at = 0;
      while (at < bytes.length) {
        const stop = bytes.indexOf(10, at);
        const end = stop < 0 ? bytes.length : stop;
        if (end > at) {
          const record = metricRecord(bytes.toString("utf8", at, end));
          if (record) {
            out.records.push(record);
            out.lines.push([chunk.s + at, end - at]);
          }
        }
        at = end + 1;
      }
      decoded.set(key, out);
      if (decoded.size > maxDecoded) decoded.delete(decoded.keys().next().value!);
      return out;
    };
    const xOf = (record: { index: number; data: Record<string, unknown> }) =>
      xKey === undefined ? record.index : (record.data[xKey] as number);
    const chunkOfRow = (row: number) => {
      let lo = 0;
      let hi = chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid]! <= row) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    // The first row whose x is >= value.
    const lowerBound = (value: number): number => {
      const k = chunks.findIndex((chunk) => statsOf(chunk, xKey)![S.last]! >= value);
      if (k < 0) return count;
      const records = decode(k).records;
      let i = 0;
      while (i < records.length && xOf(records[i]!) < value) i++;
      return starts[k]! + i;
    };
    let start = options.from !== undefined ? lowerBound(options.from) : 0;
    let end = count;
    if (options.to !== undefined) {
      const to = options.by === "index" ? options.to - 1 : options.to;
      end = lowerBound(to + Number.EPSILON * Math.abs(to) + 1e-12);
    }
    if (options.edges) ((start = Math.max(0, start - 1)), (end = Math.min(count, end + 1)));
    if (options.last !== undefined && options.maxPoints === undefined)
      start = Math.max(start, end - options.last);
    if (end <= start) return { count, inRange: 0, downsampled: false, records: [] };
    const total = end - start;
    // Rows whose lines are known from the chunks' stats: no chunk is parsed to find them.
    const known = new Map<number, readonly [number, number]>();
    const readRows = (list: readonly number[]) => {
      const lines = list.map((row) => {
        const at = known.get(row);
        if (at) return at;
        const k = chunkOfRow(row);
        const chunk = chunks[k]!;
        const local = row - starts[k]!;
        if (local === 0) return chunk.r0;
        if (local === chunk.n - 1) return chunk.r1;
        return decode(k).lines[local]!;
      });
      return readLines(fd, lines);
    };
    if (options.maxPoints === undefined || total <= options.maxPoints) {
      if (total > maxRawRows) return undefined;
      return { count, inRange: total, downsampled: false, records: readRows(range(start, end)) };
    }
    const only = options.fields ? new Set(options.fields) : undefined;
    const fieldSet = new Set<string>();
    for (const chunk of chunks)
      for (const key in chunk.f) if (key !== "_ts" && (!only || only.has(key))) fieldSet.add(key);
    const ys = [...fieldSet];
    if (ys.length === 0) return undefined;
    const buckets = bucketCount(options.maxPoints, ys.length);
    const kStart = chunkOfRow(start);
    const kEnd = chunkOfRow(end - 1);
    let picked: number[];
    if (kEnd - kStart + 1 >= buckets / 2) {
      picked = summaryRows(chunks, starts, kStart, kEnd, start, end, buckets, ys, decode, known);
    } else {
      const x = new Float64Array(total);
      const columns = ys.map(() => new Float64Array(total).fill(NaN));
      for (let k = kStart; k <= kEnd; k++) {
        const records = decode(k).records;
        for (let i = 0; i < records.length; i++) {
          const row = starts[k]! + i - start;
          if (row < 0 || row >= total) continue;
          x[row] = xOf(records[i]!);
          ys.forEach((field, f) => {
            const value = records[i]!.data[field];
            if (typeof value === "number") columns[f]![row] = value;
          });
        }
      }
      picked = selectRows(x, columns, {}, options.maxPoints).rows.map((row) => row + start);
    }
    if (options.last !== undefined) picked = picked.slice(Math.max(0, picked.length - options.last));
    return { count, inRange: total, downsampled: true, records: readRows(picked) };
  } finally {
    closeSync(fd);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * The rows a downsampled read keeps from chunk extremes: the range's first and last row, and per bucket (whole
 * chunks, each in the bucket where it starts) the first minimum and maximum of each field. Chunks cut by the
 * range are parsed for the extremes of their part.
 */
function summaryRows(
  chunks: readonly IndexChunk[],
  starts: readonly number[],
  kStart: number,
  kEnd: number,
  start: number,
  end: number,
  buckets: number,
  ys: readonly string[],
  decode: (k: number) => Decoded,
  known: Map<number, readonly [number, number]>,
): number[] {
  const total = end - start;
  const best = ys.map(() => new Map<number, { min: number; minRow: number; max: number; maxRow: number }>());
  for (let k = kStart; k <= kEnd; k++) {
    const first = starts[k]!;
    const from = Math.max(first, start);
    const bucket = Math.min(buckets - 1, Math.floor(((from - start) * buckets) / total));
    const cut = first < start || first + chunks[k]!.n > end;
    ys.forEach((field, f) => {
      let min = NaN;
      let minRow = -1;
      let max = NaN;
      let maxRow = -1;
      if (cut) {
        const records = decode(k).records;
        for (let i = Math.max(0, start - first); i < records.length && first + i < end; i++) {
          const v = records[i]!.data[field];
          if (typeof v !== "number" || !Number.isFinite(v)) continue;
          if (minRow < 0 || v < min) ((min = v), (minRow = first + i));
          if (maxRow < 0 || v > max) ((max = v), (maxRow = first + i));
        }
      } else {
        const stats = chunks[k]!.f[field];
        if (!stats || stats[S.finite] === 0) return;
        ((min = stats[S.min]!), (minRow = first + stats[S.minRow]!));
        ((max = stats[S.max]!), (maxRow = first + stats[S.maxRow]!));
        known.set(minRow, [stats[S.minAt]!, stats[S.minLen]!]);
        known.set(maxRow, [stats[S.maxAt]!, stats[S.maxLen]!]);
      }
      if (minRow < 0) return;
      const current = best[f]!.get(bucket);
      if (!current) best[f]!.set(bucket, { min, minRow, max, maxRow });
      else {
        if (min < current.min) ((current.min = min), (current.minRow = minRow));
        if (max > current.max) ((current.max = max), (current.maxRow = maxRow));
      }
    });
  }
  const rows = new Set<number>([start, end - 1]);
  for (const perBucket of best) for (const b of perBucket.values()) rows.add(b.minRow).add(b.maxRow);
  return [...rows].sort((a, b) => a - b);
}

/** The lines at these [offset, length] places (ascending), neighbours read in one go. */
function readLines(fd: number, lines: readonly (readonly [number, number])[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let k = 0; k < lines.length;) {
    const [first] = lines[k]!;
    let j = k;
    let end = first + lines[k]![1];
    while (j + 1 < lines.length) {
      const [at, length] = lines[j + 1]!;
      if (at - end > 4096 || at + length - first > 2 ** 20) break;
      end = at + length;
      j++;
    }
    const span = Buffer.allocUnsafe(end - first);
    readSync(fd, span, 0, span.length, first);
    for (let r = k; r <= j; r++) {
      const [at, length] = lines[r]!;
      out.push(parseJson(span.toString("utf8", at - first, at - first + length)) as Record<string, unknown>);
    }
    k = j + 1;
  }
  return out;
}
