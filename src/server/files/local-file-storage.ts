import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ChecksumMismatchError, PayloadTooLargeError } from "../../errors.js";
import { drainRest } from "../body.js";
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
    await mkdir(dirname(temp), { recursive: true });
    const hash = createHash("sha256");
    let size = 0;
    const out = createWriteStream(temp, { flags: "wx" });
    const closed = new Promise<void>((resolve, reject) => {
      out.once("close", resolve);
      out.once("error", reject);
    });
    try {
      if (body) {
        const reader = body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > options.limitBytes) {
            await drainRest(reader);
            throw new PayloadTooLargeError("The uploaded file", options.limitBytes);
          }
          hash.update(value);
          if (!out.write(value)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        }
      }
      out.end();
      await closed;
      const sha256 = hash.digest("hex");
      const expected = options.expectedSha256?.toLowerCase();
      if (expected !== undefined && expected !== sha256)
        throw new ChecksumMismatchError("upload", expected, sha256);
      const handle = await open(temp, "r");
      await handle.sync().finally(() => handle.close());
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
      return { size, sha256 };
    } catch (error) {
      out.destroy();
      await closed.catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
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
