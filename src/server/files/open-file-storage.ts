import { resolve } from "node:path";
import { UsageError } from "../../errors.js";
import type { FileStorage } from "./file-storage.js";
import { LocalFileStorage } from "./local-file-storage.js";
import { S3FileStorage } from "./s3-file-storage.js";
import { isS3Uri, parseS3Uri } from "./s3-location.js";

/** Where files' bytes live, as an option names it: a folder, or `s3://bucket/prefix`. */
export interface OpenedFileStorage {
  readonly storage: FileStorage;
  /** The spec as shown in messages: the folder, or `s3://bucket/prefix/` (with the endpoint when given). */
  readonly where: string;
}

/** How to reach an object store (`--s3-endpoint`, `--s3-addressing`, `--files-presign`). */
export interface FileStorageOptions {
  /** An S3-compatible endpoint; default `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, else AWS. */
  readonly s3Endpoint?: string;
  /** `path` (default with an endpoint: MinIO, moto, Ceph) or `virtual` (bucket in the host name: AWS). */
  readonly s3Addressing?: "path" | "virtual";
  /** Downloads answer 302 to a presigned URL valid this many seconds (S3 only; 0 or absent: proxied). */
  readonly presignSeconds?: number;
}

/**
 * The file storage a `--files`-like option names: a local folder (`LocalFileStorage`), or an S3-compatible
 * bucket (`s3://bucket/prefix`, `S3FileStorage`), checked at once: the bucket must exist and the credentials
 * be accepted (FILE_STORAGE_ACCESS otherwise; FILE_STORAGE_UNAVAILABLE when the endpoint does not answer).
 */
export async function openFileStorage(
  spec: string,
  options: FileStorageOptions = {},
): Promise<OpenedFileStorage> {
  if (!isS3Uri(spec)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec))
      throw new UsageError(`${spec}: file storage is a folder or s3://bucket/prefix.`);
    if (options.s3Endpoint !== undefined || options.s3Addressing !== undefined || options.presignSeconds)
      throw new UsageError(
        "--s3-endpoint, --s3-addressing and --files-presign only apply to an object store: give --files s3://<bucket>/<prefix>.",
      );
    const storage = new LocalFileStorage(resolve(spec));
    return { storage, where: storage.root };
  }
  const endpoint =
    options.s3Endpoint ?? nonEmpty(process.env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(process.env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
    throw new UsageError(
      `The S3 endpoint ${JSON.stringify(endpoint)} is not a URL: give http(s)://host:port (e.g. http://127.0.0.1:9000).`,
    );
  // SigV4 presigned URLs live at most 7 days.
  if (options.presignSeconds !== undefined && options.presignSeconds > 604_800)
    throw new UsageError(
      `--files-presign ${options.presignSeconds}: a presigned URL lives at most 604800 seconds (7 days); give fewer.`,
    );
  const storage = new S3FileStorage(parseS3Uri(spec), {
    ...(endpoint !== undefined ? { endpoint } : {}),
    pathStyle: options.s3Addressing ? options.s3Addressing === "path" : endpoint !== undefined,
    ...(options.presignSeconds ? { presignSeconds: Math.ceil(options.presignSeconds) } : {}),
  });
  try {
    await storage.check();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return { storage, where: endpoint !== undefined ? `${storage.label} at ${endpoint}` : storage.label };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
