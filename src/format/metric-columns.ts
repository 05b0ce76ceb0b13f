import { closeSync, openSync, readSync, statSync } from "node:fs";
import { parseJson } from "./json-codec.js";

/** Points of one stream as columns: the index, and one Float64Array per numeric field (NaN where absent). */
export class ColumnSet {
  #count = 0;
  #index = new Float64Array(1024);
  // Where each point's line lies in its file (byte offset and length), to read whole points back.
  #starts = new Float64Array(1024);
  #lengths = new Float64Array(1024);
  readonly #fields = new Map<string, Float64Array>();
  // Every field name seen, numbers or not.
  readonly #all = new Set<string>();

  get count(): number {
    return this.#count;
  }

  /** The column of a field (NaN where a point lacks it); "index" is the point's index. */
  column(field: string): Float64Array | undefined {
    if (field === "index") return this.#index.subarray(0, this.#count);
    return this.#fields.get(field)?.subarray(0, this.#count);
  }

  /** The numeric fields (with `_ts`). */
  get fields(): string[] {
    return [...this.#fields.keys()];
  }

  /** Every field seen, numeric or not (with `_ts`). */
  get allFields(): string[] {
    return [...this.#all];
  }

  /** The byte offset and length of a point's line in its file. */
  line(row: number): { start: number; length: number } {
    return { start: this.#starts[row]!, length: this.#lengths[row]! };
  }

  /** Appends one point: its index and its fields (non-numbers are left out), and where its line lies. */
  add(index: number, data: Readonly<Record<string, unknown>>, start = 0, length = 0): void {
    const at = this.#count;
    if (at >= this.#index.length) this.#grow(this.#index.length * 2);
    this.#index[at] = index;
    this.#starts[at] = start;
    this.#lengths[at] = length;
    for (const key in data) {
      const value = data[key];
      this.#all.add(key);
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
    // New buffers: what downsample.ts knows of the old ones (sorted up to a row) no longer holds.
    this.#index = new Float64Array(1024);
    this.#starts = new Float64Array(1024);
    this.#lengths = new Float64Array(1024);
    this.#fields.clear();
    this.#all.clear();
  }

  #grow(capacity: number): void {
    const grow = (old: Float64Array) => {
      const next = new Float64Array(capacity).fill(NaN);
      next.set(old);
      return next;
    };
    this.#index = grow(this.#index);
    this.#starts = grow(this.#starts);
    this.#lengths = grow(this.#lengths);
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
  #skipped = 0;
  #torn = false;

  /** Complete lines that were not valid records, skipped. */
  get skipped(): number {
    return this.#skipped;
  }

  /** The file ended with an unterminated line at the last refresh (a write in progress): not read yet. */
  get torn(): boolean {
    return this.#torn;
  }

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
    this.#torn = false;
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
          this.#torn = true;
          break;
        }
        this.#parse(slab, end, this.#size);
        this.#size += end + 1;
      }
    } finally {
      closeSync(fd);
    }
  }

  #reset(): void {
    this.clear();
    this.#size = 0;
    this.#skipped = 0;
  }

  /** Parses the whole lines of `slab` up to `end` (a newline), the slab starting at byte `offset`. */
  #parse(slab: Buffer, end: number, offset: number): void {
    // One decode for the slab; byte positions from the newlines (a newline byte is never inside a UTF-8
    // sequence, so the n-th line of the text is the n-th line of the bytes).
    const lines = slab.toString("utf8", 0, end).split("\n");
    let at = 0;
    for (const line of lines) {
      const next = slab.indexOf(10, at);
      const stop = next < 0 || next > end ? end : next;
      if (line.length > 0) {
        let record: Record<string, unknown> | undefined;
        try {
          record = parseJson(line) as Record<string, unknown>;
        } catch {
          record = undefined; // skipped, as every reader skips a complete line that is not a record
        }
        const data = record?.data;
        if (typeof record?.index === "number" && typeof data === "object" && data !== null)
          this.add(record.index, data as Record<string, unknown>, offset + at, stop - at);
        else this.#skipped++;
      }
      at = stop + 1;
    }
  }

  /** The whole records of some rows (ascending), read where their lines lie. */
  readRecords(rows: readonly number[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    if (rows.length === 0) return out;
    const fd = openSync(this.file, "r");
    try {
      // Neighbouring lines are read in one go.
      for (let k = 0; k < rows.length;) {
        const first = this.line(rows[k]!);
        let j = k;
        let end = first.start + first.length;
        while (j + 1 < rows.length) {
          const next = this.line(rows[j + 1]!);
          if (next.start - end > 4096 || next.start + next.length - first.start > 2 ** 20) break;
          end = next.start + next.length;
          j++;
        }
        const span = Buffer.allocUnsafe(end - first.start);
        readSync(fd, span, 0, span.length, first.start);
        for (let r = k; r <= j; r++) {
          const { start, length } = this.line(rows[r]!);
          out.push(
            parseJson(span.toString("utf8", start - first.start, start - first.start + length)) as Record<
              string,
              unknown
            >,
          );
        }
        k = j + 1;
      }
    } finally {
      closeSync(fd);
    }
    return out;
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
