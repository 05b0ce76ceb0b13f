import { createReadStream } from "node:fs";
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { parseJson } from "./json-codec.js";

/**
 * An append-only JSON Lines file. Lines are appended in batches, each batch with one `write` on a descriptor
 * opened with O_APPEND, so concurrent writers never interleave lines. Before the first append, a torn tail
 * (bytes after the last `\n`, left by a writer killed mid-write) is cut off so the next line starts clean.
 * A batch that fails part way (a full disk writes what fits, then ENOSPC) is cut back to where it started,
 * so the file always ends with a whole record and the caller can write the same batch again later.
 */
export class JsonlAppender {
  readonly file: string;
  #fd: number | undefined;

  constructor(file: string) {
    this.file = file;
  }

  /** The last complete line of the file (after repairing a torn tail), or undefined when there is none. */
  open(): string | undefined {
    if (this.#fd !== undefined) return undefined;
    mkdirSync(dirname(this.file), { recursive: true });
    const fd = openSync(this.file, "a+");
    this.#fd = fd;
    const { tail, completeLength, size } = readTail(fd);
    if (completeLength < size) ftruncateSync(fd, completeLength);
    return tail;
  }

  append(text: string): void {
    if (text.length === 0) return;
    if (this.#fd === undefined) this.open();
    const fd = this.#fd!;
    const bytes = Buffer.from(text, "utf8");
    const start = fstatSync(fd).size;
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (offset > 0 && !cutBack(fd, start)) this.close(); // open() repairs the tail before the next append
      throw error;
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

// Freeing space never needs space: ftruncate works on a full disk. Should it fail anyway, the torn tail is
// cut when the file is opened again (readers skip it meanwhile).
function cutBack(fd: number, length: number): boolean {
  try {
    ftruncateSync(fd, length);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last complete line of an open file and the length of its complete part (up to and including the last
 * `\n`). Reads backwards in chunks, so a long file costs only its tail.
 */
function readTail(fd: number): { tail: string | undefined; completeLength: number; size: number } {
  const size = fstatSync(fd).size;
  const chunk = 64 * 1024;
  let pos = size; // `buffer` holds the bytes [pos, size)
  let buffer: Buffer = Buffer.alloc(0);
  let lastNewline = -1; // position in the file of the last "\n"
  while (pos > 0) {
    const start = Math.max(0, pos - chunk);
    const part = Buffer.alloc(pos - start);
    readSync(fd, part, 0, part.length, start);
    buffer = Buffer.concat([part, buffer]);
    pos = start;
    if (lastNewline < 0) {
      const at = buffer.lastIndexOf(0x0a);
      if (at < 0) continue;
      lastNewline = pos + at;
    }
    const searchFrom = lastNewline - pos - 1;
    const previous = searchFrom >= 0 ? buffer.lastIndexOf(0x0a, searchFrom) : -1;
    if (previous >= 0 || pos === 0) {
      const line = buffer.subarray(previous + 1, lastNewline - pos).toString("utf8");
      return { tail: line.length > 0 ? line : undefined, completeLength: lastNewline + 1, size };
    }
  }
  return { tail: undefined, completeLength: lastNewline + 1, size };
}

export interface ScanStats {
  /** Complete lines read (valid or not). */
  readonly lines: number;
  /** Complete lines that were not valid JSON objects, skipped. */
  readonly skipped: number;
  /** True when the file ended with an unterminated line (a write in progress or a killed writer), skipped. */
  readonly torn: boolean;
}

/**
 * Reads a JSON Lines file front to back, calling `visit` with each parsed record. A missing file reads as
 * empty. Never returns a torn last line; counts lines that do not parse instead of failing.
 */
export async function scanJsonl(
  file: string,
  visit: (record: Record<string, unknown>) => void,
): Promise<ScanStats> {
  let lines = 0;
  let skipped = 0;
  let rest = "";
  const decoder = new StringDecoder("utf8");
  const handle = (line: string) => {
    lines++;
    if (line.trim().length === 0) {
      skipped++;
      return;
    }
    let record: unknown;
    try {
      record = parseJson(line);
    } catch {
      skipped++;
      return;
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      skipped++;
      return;
    }
    visit(record as Record<string, unknown>);
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      const text = rest + decoder.write(chunk as Buffer);
      let start = 0;
      for (;;) {
        const newline = text.indexOf("\n", start);
        if (newline < 0) break;
        handle(text.slice(start, newline));
        start = newline + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { lines: 0, skipped: 0, torn: false };
    throw error;
  }
  rest += decoder.end();
  return { lines, skipped, torn: rest.length > 0 };
}

/** The last complete line of a file, or undefined (missing file, empty file, only a torn line). */
export function lastCompleteLine(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return readTail(fd).tail;
  } finally {
    closeSync(fd);
  }
}

/** An integer field (`index`, `sequenceNumber`) of a JSON Lines record, or -1. */
export function lineIndex(line: string | undefined, field: string): number {
  if (line === undefined) return -1;
  try {
    const value = (parseJson(line) as Record<string, unknown>)[field];
    return typeof value === "number" && Number.isInteger(value) ? value : -1;
  } catch {
    return -1;
  }
}

/**
 * What is wrong with a JSON Lines file, for a reader to name: lines that are not JSON records (all of them
 * for files up to `wholeBelowBytes`, 16 MB by default; only the last one beyond), and an incomplete last line unless the file is being
 * `writing` (then it is a write in progress), and fewer lines than `expectedLines` (a count its metadata
 * keeps). Undefined when nothing is wrong or the file is missing.
 */
export async function jsonlProblem(
  file: string,
  options: { readonly writing: boolean; readonly expectedLines?: number; readonly wholeBelowBytes?: number },
): Promise<string | undefined> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let skipped: number;
  let torn: boolean;
  let missing = 0;
  if (size <= (options.wholeBelowBytes ?? 16 * 2 ** 20)) {
    const stats = await scanJsonl(file, () => undefined);
    ({ skipped, torn } = stats);
    missing = Math.max(0, (options.expectedLines ?? 0) - (stats.lines - stats.skipped));
  } else {
    const fd = openSync(file, "r");
    try {
      const { tail, completeLength } = readTail(fd);
      torn = completeLength < size;
      skipped = tail !== undefined && !isJsonObject(tail) ? 1 : 0;
    } finally {
      closeSync(fd);
    }
  }
  const problems = [
    skipped > 0 ? `${skipped} line(s) that are not JSON records, skipped` : "",
    torn && !options.writing ? "an incomplete last line (cut short), skipped" : "",
    missing > 0 && !torn && skipped === 0 ? `${missing} record(s) fewer than its metadata.json counts` : "",
  ].filter(Boolean);
  return problems.length > 0 ? problems.join("; ") : undefined;
}

function isJsonObject(line: string): boolean {
  try {
    const value = parseJson(line);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
