import { createHash } from "node:crypto";
import { ChecksumMismatchError, PayloadTooLargeError } from "../../errors.js";
import { drainRest } from "../body.js";
import type { PutOptions, StoredBlob } from "./file-storage.js";

/**
 * An upload's body as a FileStorage reads it: counted and hashed chunk by chunk, refused as soon as it passes
 * the limit, and checked against the expected SHA-256 at the end. Every backend reads bodies through it, so
 * they refuse the same uploads the same way.
 */
export class CheckedBody {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #options: PutOptions;
  readonly #hash = createHash("sha256");
  #size = 0;
  #done: boolean;

  constructor(body: ReadableStream<Uint8Array> | null, options: PutOptions) {
    this.#reader = body?.getReader();
    this.#done = !this.#reader;
    this.#options = options;
  }

  /** The next chunk, or undefined at the end (PayloadTooLargeError past the limit). */
  async next(): Promise<Uint8Array | undefined> {
    if (this.#done || !this.#reader) return undefined;
    const { done, value } = await this.#reader.read();
    if (done) {
      this.#done = true;
      return undefined;
    }
    this.#size += value.byteLength;
    if (this.#size > this.#options.limitBytes)
      throw new PayloadTooLargeError("The uploaded file", this.#options.limitBytes);
    this.#hash.update(value);
    return value;
  }

  /** Size and SHA-256 of the whole body, once read to the end (ChecksumMismatchError when they differ). */
  finish(): StoredBlob {
    const sha256 = this.#hash.digest("hex");
    const expected = this.#options.expectedSha256?.toLowerCase();
    if (expected !== undefined && expected !== sha256)
      throw new ChecksumMismatchError("upload", expected, sha256);
    return { size: this.#size, sha256 };
  }

  /** After a refusal: reads the rest the client is still sending, so that it gets the answer, not a reset. */
  async drain(): Promise<void> {
    if (this.#reader && !this.#done) await drainRest(this.#reader);
  }
}
