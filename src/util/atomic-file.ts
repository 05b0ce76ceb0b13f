import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { z } from "zod";
import { CorruptRecordError } from "../errors.js";

let tempCounter = 0;

/**
 * Replaces `file` with `content` so that a reader (or a crash) sees either the old or the new file, never
 * a partial one: write a temporary sibling, then rename it over the target. When the write fails (a full
 * disk), the temporary file is removed and the old file is left as it was.
 */
export function writeFileAtomic(
  file: string,
  content: string,
  options: { durable?: boolean; mode?: number } = {},
): void {
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  let fd: number;
  try {
    fd = openSync(temp, "w", options.mode);
  } catch (error) {
    // Creating the directory only when it is missing saves a syscall on every other write (a hot path).
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(temp, "w", options.mode);
  }
  try {
    try {
      const bytes = Buffer.from(content, "utf8");
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      // fsync only where losing the last write after a power cut would matter; it costs milliseconds.
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    // The half-written temporary file would hold the space a full disk needs back.
    rmSync(temp, { force: true });
    throw error;
  }
}

export function writeJsonAtomic(file: string, value: unknown, options: { durable?: boolean } = {}): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** Reads a JSON file and checks it against `schema`; undefined when the file does not exist. */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>): T | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CorruptRecordError(file, text.trim() === "" ? "empty file" : (error as Error).message);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new CorruptRecordError(file, parsed.error.issues[0]?.message ?? "invalid");
  return parsed.data;
}

/** Reads a small text file; undefined when it does not exist. */
export function readTextIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
