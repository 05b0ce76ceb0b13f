import { closeSync, fstatSync, openSync, readSync } from "node:fs";
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
export function followLines<S extends string>(
  files: readonly FollowedFile<S>[],
  options: FollowOptions = {},
): AsyncGenerator<{ stream: S; line: string }> {
  return followChunks(
    files.map(({ file, stream }) => ({ path: file, stream })),
    async (reads) => reads.map(({ path, offset }) => readFileFrom(path, offset) ?? Buffer.alloc(0)),
    options,
  );
}

/** What `followChunks` asks for: the bytes of each file from `offset` on (empty or undefined: none yet). */
export type ChunkReader = (
  reads: readonly { readonly path: string; readonly offset: number }[],
) => Promise<readonly (Buffer | undefined)[]>;

/** `followLines` over any reader of file tails (local files, or files on another host through a tunnel). */
export async function* followChunks<S extends string>(
  files: readonly { readonly path: string; readonly stream: S }[],
  read: ChunkReader,
  options: FollowOptions = {},
): AsyncGenerator<{ stream: S; line: string }> {
  const readers = files.map((f) => ({ ...f, offset: 0, pending: "" }));
  const pollMs = options.pollMs ?? 200;
  const readAll = async function* (): AsyncGenerator<{ stream: S; line: string }> {
    const chunks = await read(readers.map(({ path, offset }) => ({ path, offset })));
    for (const [i, reader] of readers.entries()) {
      const chunk = chunks[i];
      if (!chunk || chunk.length === 0) continue;
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

/** The bytes of `file` from `offset` to its current end; undefined when the file does not exist. */
export function readFileFrom(file: string, offset: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
