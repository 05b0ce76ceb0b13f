import { UsageError } from "../../errors.js";
import type { FileStorage } from "./file-storage.js";
import { LocalFileStorage } from "./local-file-storage.js";

/** Where files' bytes live, as an option names it: a folder, or `s3://bucket/prefix`. */
export interface OpenedFileStorage {
  readonly storage: FileStorage;
  /** The spec as shown in messages. */
  readonly where: string;
}

/**
 * The file storage a `--files`-like option names: a local folder (`LocalFileStorage`), or an
 * S3-compatible bucket (`s3://bucket/prefix`) where this build has that backend.
 */
export async function openFileStorage(spec: string): Promise<OpenedFileStorage> {
  if (/^s3:\/\//i.test(spec)) {
    throw new UsageError(
      `${spec}: this labrun has no S3 file storage yet. Copy the files into a folder (--files-to DIR) and ` +
        "move them to the bucket with the AWS CLI (aws s3 sync DIR/blobs s3://bucket/prefix/blobs).",
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec))
    throw new UsageError(`${spec}: file storage is a folder or s3://bucket/prefix.`);
  const storage = new LocalFileStorage(spec);
  return { storage, where: storage.root };
}
