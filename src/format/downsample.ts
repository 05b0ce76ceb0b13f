/**
 * The one downsampling rule of every store backend and reader: the points of a range are cut into equal
 * buckets and each bucket keeps, for every field asked for, the point holding its minimum and the point
 * holding its maximum; the first and the last point of the range always stay, so a line spans the whole
 * range and spikes survive any zoom. The x axis is any sorted column: the point index, a step, a time.
 *
 * The SQL backend applies the same rule to whole chunks from their stored summaries (sql-metrics.ts), and
 * falls back on this function for ranges with fewer chunks than buckets.
 */

/** A range of x values, both ends inclusive. */
export interface XRange {
  readonly from?: number;
  readonly to?: number;
}

export interface Selection {
  /** Positions (rows of the columns) to return, ascending. */
  readonly rows: number[];
  /** Rows in the range, before downsampling. */
  readonly total: number;
  readonly downsampled: boolean;
}

/** First position with x[i] >= value, for x sorted ascending. */
export function lowerBound(x: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Columns only grow (metric-columns.ts): what is known sorted is checked again only where it grew.
const sortedUpTo = new WeakMap<ArrayBufferLike, { offset: number; length: number; sorted: boolean }>();

function isSorted(x: ArrayLike<number>): boolean {
  const view = ArrayBuffer.isView(x) ? (x as unknown as Float64Array) : undefined;
  const known = view ? sortedUpTo.get(view.buffer) : undefined;
  let from = 1;
  if (known && view && known.offset === view.byteOffset && known.length <= x.length) {
    if (!known.sorted) return false;
    from = Math.max(1, known.length);
  }
  let sorted = true;
  for (let i = from; i < x.length; i++)
    if (!(x[i]! >= x[i - 1]!)) {
      sorted = false;
      break;
    }
  if (view) sortedUpTo.set(view.buffer, { offset: view.byteOffset, length: x.length, sorted });
  return sorted;
}

/** How many buckets fit in `maxPoints` when each keeps a minimum and a maximum of `fieldCount` fields. */
export function bucketCount(maxPoints: number, fieldCount: number): number {
  return Math.max(1, Math.floor((maxPoints - 2) / (2 * Math.max(1, fieldCount))));
}

/**
 * The rows of `ys` (columns of equal length, NaN where a point has no number) against `x` with
 * `from <= x <= to`, at most about `maxPoints` of them. With `edges`, a sorted x keeps one row either side of
 * the range, so a zoomed line reaches the edges of the chart. With `last`, only the range's last rows (of a
 * sorted x) are selected from.
 */
export function selectRows(
  x: ArrayLike<number>,
  ys: readonly ArrayLike<number>[],
  range: XRange,
  maxPoints: number,
  options: { readonly edges?: boolean; readonly last?: number } = {},
): Selection {
  let start = 0;
  let end = x.length;
  const sorted = isSorted(x);
  if (sorted) {
    if (range.from !== undefined) start = lowerBound(x, range.from);
    if (range.to !== undefined) end = lowerBound(x, range.to + Number.EPSILON * Math.abs(range.to) + 1e-12);
    if (options.edges) {
      start = Math.max(0, start - 1);
      end = Math.min(x.length, end + 1);
    }
    // Only the last rows of the range: the others are not looked at.
    if (options.last !== undefined) start = Math.max(start, end - options.last);
  }
  const inRange = (i: number) =>
    sorted ||
    ((range.from === undefined || x[i]! >= range.from) && (range.to === undefined || x[i]! <= range.to));
  const total = end - start;
  const rows: number[] = [];
  if (total <= maxPoints) {
    for (let i = start; i < end; i++) if (inRange(i)) rows.push(i);
    return { rows, total: rows.length, downsampled: false };
  }
  const first = start;
  const last = end - 1;
  const buckets = bucketCount(maxPoints, ys.length);
  const width = total / buckets;
  const picked = new Set<number>();
  rows.push(first);
  for (let b = 0; b < buckets; b++) {
    const from = start + Math.floor(b * width);
    const to = Math.min(end, start + Math.floor((b + 1) * width));
    picked.clear();
    // Nothing to keep extremes of: one point per bucket, evenly spaced.
    if (ys.length === 0 && from < to && inRange(from)) picked.add(from);
    for (const y of ys) {
      let min = -1;
      let max = -1;
      for (let i = from; i < to; i++) {
        if (!inRange(i)) continue;
        const v = y[i]!;
        if (!Number.isFinite(v)) continue;
        if (min < 0 || v < y[min]!) min = i;
        if (max < 0 || v > y[max]!) max = i;
      }
      if (min >= 0) picked.add(min);
      if (max >= 0) picked.add(max);
    }
    picked.delete(first);
    picked.delete(last);
    rows.push(...[...picked].sort((a, b) => a - b));
  }
  if (last > first) rows.push(last);
  return { rows, total, downsampled: true };
}
