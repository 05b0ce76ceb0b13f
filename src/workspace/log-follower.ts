import { closeSync, openSync, readSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface FollowedFile<S extends string> {
  readonly file: string;
  readonly stream: S;
}

export interface FollowOptions {
  /** Keep reading new lines until `isDone()` is true (checked after each empty read), then drain once. */
  readonly follow?: boolean;
  readonly isDone?: () => boolean | Promise<boolean>;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
}

/**
 * Yields complete lines of several append-only log files, reading only bytes not read before. A partial
 * last line is held back until its newline arrives (or the end, when not following).
 */
export async function* followLines<S extends string>(
  files: readonly FollowedFile<S>[],
  options: FollowOptions = {},
): AsyncGenerator<{ stream: S; line: string }> {
  const readers = files.map((f) => ({ ...f, offset: 0, pending: "" }));
  const pollMs = options.pollMs ?? 200;
  const readAll = function* (): Generator<{ stream: S; line: string }> {
    for (const reader of readers) {
      const chunk = readNew(reader.file, reader.offset);
      if (chunk.length === 0) continue;
      reader.offset += chunk.length;
      const lines = (reader.pending + chunk.toString("utf8")).split("\n");
      reader.pending = lines.pop() ?? "";
      for (const line of lines) yield { stream: reader.stream, line };
    }
  };
  for (;;) {
    const before = readers.reduce((sum, r) => sum + r.offset, 0);
    yield* readAll();
    if (!options.follow || options.signal?.aborted) break;
    if (readers.reduce((sum, r) => sum + r.offset, 0) > before) continue;
    if (options.isDone && (await options.isDone())) {
      // One more read: the job may have written its last lines just before it ended.
      yield* readAll();
      break;
    }
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
  for (const reader of readers) if (reader.pending) yield { stream: reader.stream, line: reader.pending };
}

function readNew(file: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = statSync(file).size;
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
