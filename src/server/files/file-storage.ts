import type { Readable } from "node:stream";

/** What a stored blob is: its size and SHA-256 (hex). */
export interface StoredBlob {
  readonly size: number;
  readonly sha256: string;
}

export interface PutOptions {
  /** Refuse (PayloadTooLargeError) as soon as more bytes than this arrive. */
  readonly limitBytes: number;
  /** When given, the bytes must hash to this (ChecksumMismatchError otherwise; nothing is kept). */
  readonly expectedSha256?: string;
}

/** What a presigned download must answer with besides the bytes. */
export interface DownloadUrlOptions {
  readonly contentDisposition: string;
  readonly contentType: string;
}

/**
 * Keeps the bytes of uploaded files; the Store keeps their metadata. Keys are chosen by the server
 * (`newKey`), never by clients, so no client-supplied name reaches a path.
 *
 * Deliberately left out: listing, metadata, deduplication by content (a file uploaded twice is stored twice).
 */
export interface FileStorage {
  /** A fresh key for a new blob. */
  newKey(): string;
  /** Streams `body` under `key`, all or nothing: on any error nothing is left behind. */
  put(key: string, body: ReadableStream<Uint8Array> | null, options: PutOptions): Promise<StoredBlob>;
  /** The bytes of `key`, or undefined when it does not exist. */
  get(key: string): Promise<{ readonly stream: Readable; readonly size: number } | undefined>;
  delete(key: string): Promise<void>;
  /** Removes what unfinished uploads older than `graceMs` left behind (at start); returns how many. */
  sweep?(graceMs?: number): Promise<number>;
  /**
   * A URL the client may download the bytes from directly (an object store's presigned GET), or undefined
   * to stream them through the server. The download routes answer 302 to it.
   */
  downloadUrl?(key: string, options: DownloadUrlOptions): Promise<string | undefined>;
  /** Releases connections (at server stop). */
  close?(): Promise<void>;
}
