import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { StoreCopyIncompleteError } from "../../errors.js";
import type { FileStorage } from "./file-storage.js";

/** A stored file's bytes as its record describes them. */
export interface BlobRecord {
  readonly id: string;
  readonly storageKey: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Copies one blob under the same key, unless the target already holds it at its size (a `put` is all or
 * nothing, so a blob present is whole). Refuses a blob missing from the source: its record would point at
 * nothing.
 */
export async function copyBlob(
  from: FileStorage,
  to: FileStorage,
  blob: BlobRecord,
  fromWhere: string,
): Promise<"copied" | "present"> {
  const present = await to.get(blob.storageKey);
  if (present) {
    present.stream.destroy();
    if (present.size === blob.size) return "present";
  }
  const source = await from.get(blob.storageKey);
  if (!source) {
    throw new StoreCopyIncompleteError(
      `The bytes of file ${blob.id} (storage key ${blob.storageKey}) are not in the source's files (${fromWhere}). ` +
        "Give the folder the source server used (--files-from, its --files), or restore it from a backup.",
      { details: { file: blob.id, storageKey: blob.storageKey } },
    );
  }
  await to.put(blob.storageKey, Readable.toWeb(source.stream) as ReadableStream<Uint8Array>, {
    limitBytes: blob.size,
    expectedSha256: blob.sha256,
  });
  return "copied";
}

/** The SHA-256 and size of a stored blob, or undefined when it is missing. */
export async function hashBlob(
  storage: FileStorage,
  key: string,
): Promise<{ sha256: string; size: number } | undefined> {
  const blob = await storage.get(key);
  if (!blob) return undefined;
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of blob.stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest("hex"), size };
}
