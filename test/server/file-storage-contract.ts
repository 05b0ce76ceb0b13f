import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileStorage } from "../../src/server/files/file-storage.js";
import { codeOf } from "../../src/testing/store-contract/context.js";

/** What the suite needs to see besides the interface: what a backend holds, and how to leave leftovers. */
export interface FileStorageContractOptions {
  /** Name shown in the test titles. */
  readonly name: string;
  /** A fresh, empty storage for the suite (a new folder, a new bucket or prefix). */
  readonly create: () => Promise<FileStorage>;
  /** Everything the backend holds under its root: finished blobs and unfinished uploads. */
  readonly contents: (storage: FileStorage) => Promise<{ blobs: number; unfinished: number }>;
  /** Leaves what a crashed upload leaves (a temporary file, an open multipart upload). */
  readonly leaveUnfinished: (storage: FileStorage) => Promise<void>;
  /** A body larger than this is split (multipart); the large case sends more than 2 of them. */
  readonly partBytes: number;
  readonly close?: (storage: FileStorage) => Promise<void>;
  /** Cases this backend cannot pass, each with the reason. */
  readonly skip?: { readonly sweepGrace?: string };
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** `bytes` as a request body, in chunks of at most 1 MiB (as a socket delivers them). */
function body(bytes: Uint8Array, failAfter?: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && at >= failAfter) {
        controller.error(new Error("connection reset by the client"));
        return;
      }
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.length, at + 1024 * 1024);
      controller.enqueue(bytes.subarray(at, end));
      at = end;
    },
  });
}

async function readAll(storage: FileStorage, key: string): Promise<Buffer | undefined> {
  const blob = await storage.get(key);
  if (!blob) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  expect(blob.size).toBe(bytes.length);
  return bytes;
}

/**
 * The behaviour every `FileStorage` must have, run against a real backend (a folder, an S3-compatible
 * server): round trips, all-or-nothing refusals (size, checksum, a cut body), large and empty bodies,
 * concurrent uploads, sweeping what crashed uploads left.
 */
export function fileStorageContract(options: FileStorageContractOptions): void {
  describe(`file storage contract: ${options.name}`, () => {
    let storage: FileStorage;
    beforeAll(async () => {
      storage = await options.create();
    });
    afterAll(async () => {
      await options.close?.(storage);
    });
    const limitBytes = 1024 ** 3;

    it("round-trips bytes: put returns size and SHA-256, get streams them, delete removes them", async () => {
      const bytes = randomBytes(100_000);
      const key = storage.newKey();
      expect(key).not.toBe(storage.newKey());
      const blob = await storage.put(key, body(bytes), {
        limitBytes,
        expectedSha256: sha(bytes).toUpperCase(),
      });
      expect(blob).toEqual({ size: bytes.length, sha256: sha(bytes) });
      expect((await readAll(storage, key))?.equals(bytes)).toBe(true);
      await storage.delete(key);
      expect(await storage.get(key)).toBeUndefined();
      await storage.delete(key); // deleting twice is fine
    });

    it("answers undefined for a key it never stored", async () => {
      expect(await storage.get(storage.newKey())).toBeUndefined();
    });

    it("stores empty bodies (no body at all, and a stream that ends at once)", async () => {
      const empty = sha(new Uint8Array());
      for (const given of [null, body(new Uint8Array())]) {
        const key = storage.newKey();
        expect(await storage.put(key, given, { limitBytes, expectedSha256: empty })).toEqual({
          size: 0,
          sha256: empty,
        });
        expect((await readAll(storage, key))?.length).toBe(0);
        await storage.delete(key);
      }
    });

    it("refuses a body over the limit and keeps nothing of it (small and over several parts)", async () => {
      const before = await options.contents(storage);
      for (const [size, limit] of [
        [5000, 4999],
        [options.partBytes * 3 + 10, options.partBytes * 2 + 1],
      ] as const) {
        const key = storage.newKey();
        expect(await codeOf(storage.put(key, body(randomBytes(size)), { limitBytes: limit }))).toBe(
          "PAYLOAD_TOO_LARGE",
        );
        expect(await storage.get(key)).toBeUndefined();
      }
      expect(await options.contents(storage)).toEqual(before);
    });

    it("refuses a body whose SHA-256 is not the expected one and keeps nothing of it", async () => {
      const before = await options.contents(storage);
      for (const size of [1000, options.partBytes * 2 + 10]) {
        const bytes = randomBytes(size);
        const key = storage.newKey();
        const wrong = sha(Buffer.concat([bytes, Buffer.from("x")]));
        expect(await codeOf(storage.put(key, body(bytes), { limitBytes, expectedSha256: wrong }))).toBe(
          "CHECKSUM_MISMATCH",
        );
        expect(await storage.get(key)).toBeUndefined();
      }
      expect(await options.contents(storage)).toEqual(before);
    });

    it("keeps nothing of a body cut in the middle (the client went away)", async () => {
      const before = await options.contents(storage);
      const key = storage.newKey();
      const cut = storage.put(key, body(randomBytes(options.partBytes * 3), options.partBytes * 2), {
        limitBytes,
      });
      await expect(cut).rejects.toThrow();
      expect(await storage.get(key)).toBeUndefined();
      expect(await options.contents(storage)).toEqual(before);
    });

    it("stores a large body sent in more than two parts", async () => {
      const bytes = randomBytes(options.partBytes * 3 + 12345);
      const key = storage.newKey();
      expect(await storage.put(key, body(bytes), { limitBytes, expectedSha256: sha(bytes) })).toEqual({
        size: bytes.length,
        sha256: sha(bytes),
      });
      expect((await readAll(storage, key))?.equals(bytes)).toBe(true);
      await storage.delete(key);
    });

    it("keeps concurrent uploads apart", async () => {
      const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(50_000 + i * 7919));
      const keys = payloads.map(() => storage.newKey());
      const blobs = await Promise.all(
        payloads.map((bytes, i) => storage.put(keys[i]!, body(bytes), { limitBytes })),
      );
      for (const [i, bytes] of payloads.entries()) {
        expect(blobs[i]).toEqual({ size: bytes.length, sha256: sha(bytes) });
        expect((await readAll(storage, keys[i]!))?.equals(bytes)).toBe(true);
      }
      await Promise.all(keys.map((key) => storage.delete(key)));
    });

    const graceSkip = options.skip?.sweepGrace;
    const sweepTitle = graceSkip
      ? `sweeps what unfinished uploads left (recent ones kept: not checked, ${graceSkip})`
      : "sweeps what unfinished uploads left, but not recent ones unless asked";
    it(sweepTitle, async () => {
      const key = storage.newKey();
      await storage.put(key, body(Buffer.from("kept")), { limitBytes });
      const before = await options.contents(storage);
      await options.leaveUnfinished(storage);
      const left = await options.contents(storage);
      expect(left.unfinished).toBe(before.unfinished + 1);
      if (!options.skip?.sweepGrace) {
        // Another server sharing the storage may be writing it right now: the default grace keeps it.
        expect(await storage.sweep!()).toBe(0);
        expect(await options.contents(storage)).toEqual(left);
      }
      expect(await storage.sweep!(0)).toBe(left.unfinished);
      expect(await options.contents(storage)).toEqual({ blobs: before.blobs, unfinished: 0 });
      expect((await readAll(storage, key))?.toString()).toBe("kept");
      await storage.delete(key);
    });
  });
}
