import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { encodeJson, parseJson } from "./json-codec.js";

/**
 * The sidecar index of a metric file (`metrics/<name>/data.jsonl.index`, docs/tracking-format.md): derived
 * data, deletable at any time. Per chunk of `indexChunk` records: where its lines lie and, per numeric field,
 * the extremes (value, row, line), first and last value and whether it increases. Built at the first read that
 * needs it and extended where the data file grew; rebuilt when it does not match the data file (replaced,
 * truncated) or cannot be read. Writers never touch it.
 */
export const indexChunk = 1000;
const version = 1;

/** Per field: [present, finite, min, minRow, minAt, minLen, max, maxRow, maxAt, maxLen, first, last, sorted]. */
export type FieldStats = number[];
export const S = {
  present: 0,
  finite: 1,
  min: 2,
  minRow: 3,
  minAt: 4,
  minLen: 5,
  max: 6,
  maxRow: 7,
  maxAt: 8,
  maxLen: 9,
  first: 10,
  last: 11,
  sorted: 12,
} as const;

export interface IndexChunk {
  /** Byte range of the chunk's lines in the data file (`e` after its last newline). */
  readonly s: number;
  readonly e: number;
  /** Records (valid lines) in the chunk. */
  readonly n: number;
  /** The first and the last record's line: [offset, length]. */
  readonly r0: readonly [number, number];
  readonly r1: readonly [number, number];
  /** Stats of the records' `index`, and of each numeric data field (`_ts` included). */
  readonly ix: FieldStats;
  readonly f: Readonly<Record<string, FieldStats>>;
  /** Hash of the bytes before `e` (up to 64): the data file still holds what was indexed. */
  readonly h: string;
}

const hash = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex").slice(0, 16);

function readAt(fd: number, at: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  const n = readSync(fd, buffer, 0, length, at);
  return buffer.subarray(0, n);
}

class StatsBuilder {
  readonly v: FieldStats = [0, 0, NaN, -1, 0, 0, NaN, -1, 0, 0, NaN, NaN, 1];
  add(value: number, row: number, at: number, length: number): void {
    const v = this.v;
    if (v[S.present] === 0) v[S.first] = value;
    else if (!(value >= v[S.last]!)) v[S.sorted] = 0;
    if (v[S.present] !== row) v[S.sorted] = 0; // a record without the field
    v[S.present]!++;
    v[S.last] = value;
    if (!Number.isFinite(value)) return;
    if (v[S.finite] === 0 || value < v[S.min]!)
      ((v[S.min] = value), (v[S.minRow] = row), (v[S.minAt] = at), (v[S.minLen] = length));
    if (v[S.finite] === 0 || value > v[S.max]!)
      ((v[S.max] = value), (v[S.maxRow] = row), (v[S.maxAt] = at), (v[S.maxLen] = length));
    v[S.finite]!++;
  }
}

/** Accumulates the records of one chunk. */
class ChunkBuilder {
  n = 0;
  r0: [number, number] = [0, 0];
  r1: [number, number] = [0, 0];
  readonly ix = new StatsBuilder();
  readonly f = new Map<string, StatsBuilder>();
  constructor(readonly s: number) {}

  add(record: { index: number; data: Record<string, unknown> }, at: number, length: number): void {
    const row = this.n;
    if (row === 0) this.r0 = [at, length];
    this.r1 = [at, length];
    this.ix.add(record.index, row, at, length);
    for (const key in record.data) {
      const value = record.data[key];
      if (typeof value !== "number") continue;
      let stats = this.f.get(key);
      if (!stats) this.f.set(key, (stats = new StatsBuilder()));
      stats.add(value, row, at, length);
    }
    this.n++;
  }

  finish(e: number, tailBytes: Uint8Array): IndexChunk {
    const f: Record<string, FieldStats> = {};
    for (const [key, stats] of this.f) {
      // A field missing from later records is not sorted either.
      if (stats.v[S.present] !== this.n) stats.v[S.sorted] = 0;
      f[key] = stats.v;
    }
    return { s: this.s, e, n: this.n, r0: this.r0, r1: this.r1, ix: this.ix.v, f, h: hash(tailBytes) };
  }
}

/** A parsed record of a metric line, or undefined (skipped, as every reader skips it). */
export function metricRecord(line: string): { index: number; data: Record<string, unknown> } | undefined {
  try {
    const record = parseJson(line) as Record<string, unknown>;
    const data = record?.data;
    if (
      typeof record?.index === "number" &&
      typeof data === "object" &&
      data !== null &&
      !Array.isArray(data)
    )
      return { index: record.index, data: data as Record<string, unknown> };
  } catch {
    // skipped
  }
  return undefined;
}

/**
 * The index of one metric file, in memory and on disk. `refresh()` brings it up to the data file's last
 * complete line: the sealed chunks (written to the index file) and the records after them (`tail`, kept in
 * memory only).
 */
export class MetricIndex {
  readonly file: string;
  readonly indexFile: string;
  chunks: IndexChunk[] = [];
  tail: IndexChunk | undefined;
  /** Parsed chunks kept for later reads (a zoom read again), by `s:e`, the least recently used dropped. */
  readonly decoded = new Map<string, unknown>();
  #loaded = false;
  #seen = { size: -1, mtimeMs: -1, ino: -1 };
  #writable = true;
  #head = "";

  constructor(file: string) {
    this.file = file;
    this.indexFile = `${file}.index`;
  }

  /** Records indexed (sealed chunks and tail). */
  get count(): number {
    let n = this.tail?.n ?? 0;
    for (const chunk of this.chunks) n += chunk.n;
    return n;
  }

  /** Every chunk, the tail last. */
  get all(): readonly IndexChunk[] {
    return this.tail ? [...this.chunks, this.tail] : this.chunks;
  }

  /**
   * Reads what the data file gained since the last call, at most `budget` bytes of it (for a build in
   * slices); true when the index reaches the file's last complete line.
   */
  refresh(budget = Infinity): boolean {
    let stat;
    try {
      stat = statSync(this.file);
    } catch {
      this.#reset();
      return true;
    }
    const seen = this.#seen;
    if (this.#loaded && stat.size === seen.size && stat.mtimeMs === seen.mtimeMs && stat.ino === seen.ino)
      return true;
    const fd = openSync(this.file, "r");
    try {
      const head = hash(readAt(fd, 0, 4096));
      if (!this.#loaded || stat.ino !== seen.ino || head !== this.#head || stat.size < this.covered) {
        this.#reset();
        this.#head = head;
        this.#load(fd, stat.size);
        this.#loaded = true;
      }
      const done = this.#scan(fd, stat.size, budget);
      if (done) this.#seen = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
      return done;
    } finally {
      closeSync(fd);
    }
  }

  /** Bytes of the data file covered by sealed chunks. */
  get covered(): number {
    return this.chunks.length > 0 ? this.chunks[this.chunks.length - 1]!.e : 0;
  }

  #reset(): void {
    this.decoded.clear();
    this.chunks = [];
    this.tail = undefined;
    this.#loaded = false;
  }

  /** The index file's entries that still match the data file; a damaged or stale file is cut or dropped. */
  #load(fd: number, size: number): void {
    let text: string;
    try {
      text = readFileSync(this.indexFile, "utf8");
    } catch {
      return;
    }
    const lines = text.split("\n");
    let good = 0;
    let keptBytes = 0;
    try {
      const header = JSON.parse(lines[0]!) as Record<string, unknown>;
      if (header.labrunMetricIndex !== version || header.chunk !== indexChunk || header.head !== this.#head)
        throw new Error("stale");
      keptBytes = Buffer.byteLength(lines[0]!) + 1;
      for (let k = 1; k < lines.length - 1; k++) {
        const chunk = parseJson(lines[k]!) as IndexChunk;
        if (
          typeof chunk?.e !== "number" ||
          chunk.s !== (this.chunks.at(-1)?.e ?? 0) ||
          chunk.n !== indexChunk
        )
          break;
        if (chunk.e > size) break;
        this.chunks.push(chunk);
        keptBytes += Buffer.byteLength(lines[k]!) + 1;
        good++;
      }
    } catch {
      this.chunks = [];
      this.#drop();
      return;
    }
    // The last chunk kept must still be the data file's: else nothing of the index is trusted.
    const last = this.chunks.at(-1);
    if (last && hash(readAt(fd, Math.max(0, last.e - 64), Math.min(64, last.e))) !== last.h) {
      this.chunks = [];
      this.#drop();
      return;
    }
    if (good < lines.length - 2 || Buffer.byteLength(text) !== keptBytes) this.#cut(keptBytes);
  }

  #drop(): void {
    try {
      rmSync(this.indexFile, { force: true });
    } catch {
      // derived data: a read-only folder keeps it in memory only
    }
  }

  #cut(bytes: number): void {
    try {
      const fd = openSync(this.indexFile, "r+");
      try {
        ftruncateSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
    } catch {
      this.#writable = false;
    }
  }

  /** Indexes the data file from the end of the sealed chunks; new sealed chunks are appended to the index. */
  #scan(fd: number, size: number, budget: number): boolean {
    let at = this.covered;
    const sealed: IndexChunk[] = [];
    let builder = new ChunkBuilder(at);
    const slab = Buffer.allocUnsafe(16 * 2 ** 20);
    let read = 0;
    let done = true;
    while (at < size) {
      if (read >= budget) {
        done = false;
        break;
      }
      const n = readSync(fd, slab, 0, Math.min(slab.length, size - at), at);
      if (n === 0) break;
      const end = slab.lastIndexOf(10, n - 1);
      if (end < 0) {
        if (n === slab.length) throw new Error(`a line of ${this.file} is longer than ${slab.length} bytes`);
        break; // a torn last line: indexed once its writer finishes it
      }
      let start = 0;
      while (start <= end) {
        const stop = slab.indexOf(10, start);
        if (stop > start) {
          const record = metricRecord(slab.toString("utf8", start, stop));
          if (record) builder.add(record, at + start, stop - start);
        }
        start = stop + 1;
        if (builder.n === indexChunk) {
          const e = at + start;
          sealed.push(builder.finish(e, slab.subarray(Math.max(0, start - 64), start)));
          this.chunks.push(sealed[sealed.length - 1]!);
          builder = new ChunkBuilder(e);
        }
      }
      at += end + 1;
      read += end + 1;
    }
    if (builder.n > 0) {
      const tailEnd = at;
      this.tail = builder.finish(tailEnd, readAt(fd, Math.max(0, tailEnd - 64), Math.min(64, tailEnd)));
    } else this.tail = undefined;
    if (!done) this.tail = undefined;
    this.#write(sealed);
    return done;
  }

  #write(sealed: readonly IndexChunk[]): void {
    if (sealed.length === 0 || !this.#writable) return;
    const lines = sealed.map((chunk) => `${encodeJson(chunk)}\n`).join("");
    try {
      if (!existsSync(this.indexFile) || this.chunks.length === sealed.length) {
        // A new index: written whole, then renamed into place.
        const header = `${JSON.stringify({ labrunMetricIndex: version, chunk: indexChunk, head: this.#head })}\n`;
        const temp = `${this.indexFile}.${process.pid}.tmp`;
        const fd = openSync(temp, "w");
        try {
          writeSync(fd, header + lines);
        } finally {
          closeSync(fd);
        }
        renameSync(temp, this.indexFile);
      } else {
        const fd = openSync(this.indexFile, "a");
        try {
          writeSync(fd, lines);
        } finally {
          closeSync(fd);
        }
      }
    } catch {
      this.#writable = false; // a read-only or full folder: the index lives in memory only
    }
  }
}
