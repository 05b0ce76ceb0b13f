import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { CheckedBody } from "./checked-body.js";
import type { DownloadUrlOptions, FileStorage, PutOptions, StoredBlob } from "./file-storage.js";
import { s3Error } from "./s3-errors.js";
import type { S3Location } from "./s3-location.js";

const keyPattern = /^[0-9a-f]{2}\/[0-9a-f-]{36}$/;

/** How `S3FileStorage` talks to the object store. */
export interface S3FileStorageOptions {
  /** An S3-compatible endpoint (MinIO, moto, Ceph); default: AWS for the region. */
  readonly endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need (default: on with an endpoint). */
  readonly pathStyle?: boolean;
  /** Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1 (a bucket elsewhere is followed). */
  readonly region?: string;
  /** Explicit credentials; default: the SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Downloads answer 302 to a presigned GET URL valid this many seconds (0: bytes go through the server). */
  readonly presignSeconds?: number;
  /** Size of a multipart upload's parts, bytes (default 8 MiB; S3's least is 5 MiB). */
  readonly partBytes?: number;
  /** Parts uploaded at once per upload (default 4): memory is about `partBytes × (queueSize + 1)`. */
  readonly queueSize?: number;
  /** How long to wait for a TCP connection to the endpoint, ms (default 5000). */
  readonly connectTimeoutMs?: number;
}

/**
 * Files in an S3-compatible bucket under one prefix: `<prefix>/blobs/<2 hex>/<uuid>` (the local folder's layout), through the AWS SDK for
 * JavaScript v3. An upload streams as a multipart upload (one PutObject when it fits one part); the size limit
 * and the SHA-256 are checked while the body streams, and a failure fails the body stream itself, so the SDK
 * aborts the multipart upload before completing it: no object ever appears under the key.
 */
export class S3FileStorage implements FileStorage {
  readonly location: S3Location;
  readonly client: S3Client;
  readonly #presignSeconds: number;
  readonly #partBytes: number;
  readonly #queueSize: number;

  constructor(location: S3Location, options: S3FileStorageOptions = {}) {
    this.location = location;
    const endpoint = options.endpoint;
    // The pinned SDK supports Node 20 (labrun's floor); its notice about later SDK releases needing Node 22 is
    // not the user's to act on. A user who set the variable keeps their choice.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      followRegionRedirects: true,
      forcePathStyle: options.pathStyle ?? endpoint !== undefined,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      // labrun checks SHA-256 itself; the SDK's default CRC32 headers break older S3-compatible servers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 3,
      // A proxied download holds its socket while the client reads: allow many (the SDK's default is 50).
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5000,
        requestTimeout: 120_000,
        httpAgent: { keepAlive: true, maxSockets: 512 },
        httpsAgent: { keepAlive: true, maxSockets: 512 },
      },
    });
    this.#presignSeconds = options.presignSeconds ?? 0;
    this.#partBytes = options.partBytes ?? 8 * 1024 * 1024;
    this.#queueSize = options.queueSize ?? 4;
  }

  /** `s3://bucket/prefix`, for messages. */
  get label(): string {
    return `s3://${this.location.bucket}/${this.location.prefix}`;
  }

  newKey(): string {
    const id = randomUUID();
    return `${id.slice(0, 2)}/${id}`;
  }

  #objectKey(key: string): string {
    if (!keyPattern.test(key)) throw new Error(`not a storage key: ${key}`);
    return `${this.location.prefix}blobs/${key}`;
  }

  /** Checks that the bucket exists and the credentials are accepted (what `labrun serve` does at start). */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (error) {
      throw s3Error(this.label, error, "bucket");
    }
  }

  async put(key: string, body: ReadableStream<Uint8Array> | null, options: PutOptions): Promise<StoredBlob> {
    const objectKey = this.#objectKey(key);
    const checkedBody = new CheckedBody(body, options);
    let failed = false;
    let blob: StoredBlob | undefined;
    // Checks run inside the body stream: throwing here fails the upload before S3 completes it.
    async function* checked(): AsyncGenerator<Uint8Array> {
      while (!failed) {
        const chunk = await checkedBody.next();
        if (!chunk) break;
        yield chunk;
      }
      if (!failed) blob = checkedBody.finish();
    }
    const source = Readable.from(checked());
    // Errors reach the upload through its reads; one after it gave up must not become an uncaught 'error'.
    source.on("error", () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: objectKey, Body: source },
      partSize: this.#partBytes,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      if (!blob) throw new Error("the upload completed before its body was read to the end");
      return blob;
    } catch (error) {
      failed = true;
      source.destroy();
      // The client is still sending: read the rest so that it gets the answer instead of a reset.
      await checkedBody.drain();
      throw s3Error(this.label, error, "object");
    }
  }

  async get(key: string) {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.#objectKey(key) }),
      );
      const stream = answer.Body as Readable;
      return { stream, size: answer.ContentLength ?? 0 };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "NoSuchKey" || name === "NotFound") return undefined;
      throw s3Error(this.label, error, "object");
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.#objectKey(key) }),
      );
    } catch (error) {
      throw s3Error(this.label, error, "object");
    }
  }

  /** A presigned GET URL of the object when presigning is on (`presignSeconds`), else undefined. */
  async downloadUrl(key: string, options: DownloadUrlOptions): Promise<string | undefined> {
    if (this.#presignSeconds <= 0) return undefined;
    const command = new GetObjectCommand({
      Bucket: this.location.bucket,
      Key: this.#objectKey(key),
      ResponseContentDisposition: options.contentDisposition,
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: this.#presignSeconds });
  }

  /**
   * Aborts the multipart uploads under the prefix that a crash or a cut connection left unfinished, those
   * started more than `graceMs` ago (default one day: other servers may share the bucket and be uploading).
   */
  async sweep(graceMs = 24 * 3600_000): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.location.bucket,
            Prefix: `${this.location.prefix}blobs/`,
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
        );
        for (const upload of page.Uploads ?? []) {
          const started = upload.Initiated?.getTime() ?? 0;
          if (Date.now() - started < graceMs || !upload.Key || !upload.UploadId) continue;
          await this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.location.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          removed++;
        }
        if (!page.IsTruncated) return removed;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      throw s3Error(this.label, error, "bucket");
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
