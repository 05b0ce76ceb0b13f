import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isLabrunError, StorageFullError, StoreUnavailableError } from "../../errors.js";
import { errorCodeOf, isDiskFull } from "../../util/disk-full.js";
import { CheckedBody } from "./checked-body.js";
import type { FileStorage, PutOptions, StoredBlob } from "./file-storage.js";

const keyPattern = /^[0-9a-f]{2}\/[0-9a-f-]{36}$/;

/**
 * Files on the local disk under one root: `<root>/blobs/<2 hex>/<uuid>`. An upload goes to
 * `<root>/tmp/` first, is fsynced, checked, then renamed into place, so a crash or a refused upload never
 * leaves a partial blob under a key.
 */
export class LocalFileStorage implements FileStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  newKey(): string {
    const id = randomUUID();
    return `${id.slice(0, 2)}/${id}`;
  }

  #path(key: string): string {
    if (!keyPattern.test(key)) throw new Error(`not a storage key: ${key}`);
    return join(this.root, "blobs", key);
  }

  async put(key: string, body: ReadableStream<Uint8Array> | null, options: PutOptions): Promise<StoredBlob> {
    const target = this.#path(key);
    const temp = join(this.root, "tmp", `${randomUUID()}.part`);
    const checkedBody = new CheckedBody(body, options);
    let out: WriteStream | undefined;
    let closed: Promise<void> = Promise.resolve();
    try {
      await mkdir(dirname(temp), { recursive: true });
      const stream = createWriteStream(temp, { flags: "wx" });
      out = stream;
      closed = new Promise<void>((resolve, reject) => {
        stream.once("close", resolve);
        stream.once("error", reject);
      });
      // A write error (ENOSPC) can come while the body is still being read: observed here, thrown below.
      closed.catch(() => undefined);
      for (let chunk = await checkedBody.next(); chunk; chunk = await checkedBody.next()) {
        if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), closed]);
      }
      stream.end();
      await closed;
      const blob = checkedBody.finish();
      const handle = await open(temp, "r");
      await handle.sync().finally(() => handle.close());
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
      return blob;
    } catch (error) {
      out?.destroy();
      await closed.catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      // The client is still sending: read the rest so that it gets the answer instead of a reset.
      await checkedBody.drain();
      throw storageError(this.root, error);
    }
  }

  /**
   * Removes unfinished uploads (`tmp/*.part`) left by a crash or a cut connection. Called at start; files
   * written to in the last `graceMs` are kept, in case another server process shares the folder.
   */
  async sweep(graceMs = 60_000): Promise<number> {
    const dir = join(this.root, "tmp");
    const names = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith(".part")) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < graceMs) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  async get(key: string) {
    const path = this.#path(key);
    try {
      const info = await stat(path);
      return { stream: createReadStream(path), size: info.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}

const ioCodes = new Set(["EIO", "EROFS", "EACCES", "EPERM", "EMFILE", "ENFILE", "ENOTDIR", "EISDIR"]);

/** A write error of the files folder as the error a client understands: 507 when full, 503 for other I/O. */
function storageError(root: string, error: unknown): unknown {
  if (isLabrunError(error)) return error;
  if (isDiskFull(error))
    return new StorageFullError(`the uploaded file (files folder ${root})`, errorCodeOf(error), error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && ioCodes.has(code))
    return new StoreUnavailableError(
      `the files folder ${root}`,
      `${code}: ${(error as Error).message}`,
      error,
    );
  return error;
}
