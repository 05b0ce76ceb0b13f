import { closeSync, openSync, readSync, statSync } from "node:fs";
import { parseJson } from "../../format/json-codec.js";

/** Points of one stream as columns: the index, and one Float64Array per numeric field (NaN where absent). */
export class ColumnSet {
  #count = 0;
  #index = new Float64Array(1024);
  readonly #fields = new Map<string, Float64Array>();

  get count(): number {
    return this.#count;
  }

  /** The column of a field (NaN where a point lacks it); "index" is the point's index. */
  column(field: string): Float64Array | undefined {
    if (field === "index") return this.#index.subarray(0, this.#count);
    return this.#fields.get(field)?.subarray(0, this.#count);
  }

  get fields(): string[] {
    return [...this.#fields.keys()];
  }

  /** Appends one point: its index and its fields (non-numbers are left out). */
  add(index: number, data: Readonly<Record<string, unknown>>): void {
    const at = this.#count;
    if (at >= this.#index.length) this.#grow(this.#index.length * 2);
    this.#index[at] = index;
    for (const key in data) {
      const value = data[key];
      if (typeof value !== "number") continue;
      let column = this.#fields.get(key);
      if (!column) {
        column = new Float64Array(this.#index.length).fill(NaN);
        this.#fields.set(key, column);
      }
      column[at] = value;
    }
    this.#count++;
  }

  clear(): void {
    this.#count = 0;
    this.#fields.clear();
  }

  #grow(capacity: number): void {
    const grow = (old: Float64Array) => {
      const next = new Float64Array(capacity).fill(NaN);
      next.set(old);
      return next;
    };
    this.#index = grow(this.#index);
    for (const [key, column] of this.#fields) this.#fields.set(key, grow(column));
  }
}

/**
 * One metric file (`metrics/<stream>/data.jsonl`) parsed once into columns. A file that only grew (a live
 * run appending) is read from where the last read stopped; a file that shrank or was replaced is read again.
 * Zooming into a 1M-point series then costs a binary search and one pass over the range, not a re-parse.
 */
export class MetricColumns extends ColumnSet {
  readonly file: string;
  #size = 0;
  #ino = -1;

  constructor(file: string) {
    super();
    this.file = file;
  }

  /** Reads what was appended since the last call (everything, the first time or after a rewrite). */
  refresh(): void {
    let stat;
    try {
      stat = statSync(this.file);
    } catch {
      this.#reset();
      this.#size = 0;
      return;
    }
    if (stat.ino !== this.#ino || stat.size < this.#size) {
      this.#reset();
      this.#ino = stat.ino;
    }
    if (stat.size === this.#size) return;
    const fd = openSync(this.file, "r");
    try {
      // In slabs: a 100 MB file is never held as one string.
      const slab = Buffer.allocUnsafe(16 * 2 ** 20);
      while (this.#size < stat.size) {
        const n = readSync(fd, slab, 0, Math.min(slab.length, stat.size - this.#size), this.#size);
        if (n === 0) break;
        // Only whole lines: a torn last line is read again once its writer finishes it.
        const end = slab.lastIndexOf(10, n - 1);
        if (end < 0) {
          if (n === slab.length)
            throw new Error(`a line of ${this.file} is longer than ${slab.length} bytes`);
          break;
        }
        this.#parse(slab.toString("utf8", 0, end));
        this.#size += end + 1;
      }
    } finally {
      closeSync(fd);
    }
  }

  #reset(): void {
    this.clear();
    this.#size = 0;
  }

  #parse(text: string): void {
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      let record: Record<string, unknown> | undefined;
      try {
        record = parseJson(line) as Record<string, unknown>;
      } catch {
        continue; // skipped, as every reader skips a complete line that is not a record
      }
      const data = record?.data;
      if (typeof record?.index === "number" && typeof data === "object" && data !== null)
        this.add(record.index, data as Record<string, unknown>);
    }
  }
}

/** Files kept parsed, least recently used dropped first. */
export class MetricCache {
  readonly #entries = new Map<string, MetricColumns>();
  readonly #max: number;

  constructor(maxFiles = 64) {
    this.#max = maxFiles;
  }

  /** True when the file was parsed already (a `get` then reads only what was appended). */
  has(file: string): boolean {
    return this.#entries.has(file);
  }

  get(file: string): MetricColumns {
    let entry = this.#entries.get(file);
    if (entry) this.#entries.delete(file);
    else entry = new MetricColumns(file);
    this.#entries.set(file, entry);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    entry.refresh();
    return entry;
  }
}

/**
 * About `count` points taken at evenly spaced places of a metric file, each read where it lies, without
 * parsing the rest: a first look at a big file in milliseconds, while it is parsed in full.
 */
export function samplePoints(
  file: string,
  count: number,
): { index: number; data: Record<string, unknown> }[] {
  const size = statSync(file).size;
  const fd = openSync(file, "r");
  const buffer = Buffer.allocUnsafe(16 * 1024);
  const points: { index: number; data: Record<string, unknown> }[] = [];
  try {
    let last = -1;
    for (let i = 0; i < count; i++) {
      const at = Math.floor((size * i) / count);
      const view = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, at));
      // The first whole line after `at` (at 0, the file's first line).
      const start = at === 0 ? 0 : view.indexOf(10) + 1;
      const end = view.indexOf(10, start);
      if ((start <= 0 && at !== 0) || end < 0) continue;
      try {
        const record = parseJson(view.toString("utf8", start, end)) as Record<string, unknown>;
        if (typeof record.index !== "number" || record.index <= last) continue;
        if (typeof record.data !== "object" || record.data === null) continue;
        last = record.index;
        points.push({ index: record.index, data: record.data as Record<string, unknown> });
      } catch {
        // a damaged line: the full parse will skip it too
      }
    }
  } finally {
    closeSync(fd);
  }
  return points;
}

export interface Downsampled {
  readonly x: number[];
  readonly y: (number | null)[];
  readonly total: number;
  readonly downsampled: boolean;
}

/** First index with x[i] >= value, for x sorted ascending (NaNs are not expected in x). */
function lowerBound(x: Float64Array, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isSorted(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (!(x[i]! >= x[i - 1]!)) return false;
  return true;
}

/**
 * The points of `y` against `x` with `from <= x <= to`, at most about `maxPoints` of them: the range is cut
 * into buckets and each keeps its minimum and maximum (in order), so spikes survive any zoom level.
 */
export function downsample(
  x: Float64Array,
  y: Float64Array,
  range: { from?: number; to?: number },
  maxPoints: number,
): Downsampled {
  let start = 0;
  let end = x.length;
  const sorted = isSorted(x);
  if (sorted) {
    if (range.from !== undefined) start = lowerBound(x, range.from);
    if (range.to !== undefined) end = lowerBound(x, range.to + Number.EPSILON * Math.abs(range.to) + 1e-12);
    // Keep one point either side so a zoomed line reaches the edges of the chart.
    start = Math.max(0, start - 1);
    end = Math.min(x.length, end + 1);
  }
  const inRange = (i: number) =>
    sorted ||
    ((range.from === undefined || x[i]! >= range.from) && (range.to === undefined || x[i]! <= range.to));
  const total = end - start;
  const outX: number[] = [];
  const outY: (number | null)[] = [];
  const push = (i: number) => {
    outX.push(x[i]!);
    const v = y[i]!;
    outY.push(Number.isFinite(v) ? v : null);
  };
  if (total <= maxPoints) {
    for (let i = start; i < end; i++) if (inRange(i)) push(i);
    return { x: outX, y: outY, total: outX.length, downsampled: false };
  }
  // The first and last points stay, so the line spans the whole range; buckets fill the rest.
  const first = start;
  const last = end - 1;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const width = total / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = start + Math.floor(b * width);
    const to = Math.min(end, start + Math.floor((b + 1) * width));
    if (b === 0) push(first);
    let min = -1;
    let max = -1;
    for (let i = from; i < to; i++) {
      if (!inRange(i)) continue;
      const v = y[i]!;
      if (!Number.isFinite(v)) continue;
      if (min < 0 || v < y[min]!) min = i;
      if (max < 0 || v > y[max]!) max = i;
    }
    if (min < 0 || min === first || min === last) min = max;
    if (max === first || max === last) max = min;
    if (min < 0 || min === first || min === last) continue;
    if (min === max) push(min);
    else if (min < max) {
      push(min);
      push(max);
    } else {
      push(max);
      push(min);
    }
  }
  if (last > first) push(last);
  return { x: outX, y: outY, total, downsampled: true };
}
