import { extname, join } from "node:path";
import type { JsonValue } from "./json-codec.js";
import { readJsonObject } from "./json-file.js";

/** One entry of `files/.files_metadata.json` (ML-Dash's fields). */
export interface FileRecord {
  readonly id: string;
  readonly experimentId: string;
  /** The folder with a leading "/" ("/models", or "/" for none). */
  readonly path: string;
  readonly filename: string;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly bindrs: readonly string[];
  readonly contentType: string;
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 of the content. */
  readonly checksum: string;
  readonly metadata: Record<string, JsonValue> | null;
  readonly uploadedAt: string;
  readonly updatedAt: string;
  readonly deletedAt: string | null;
}

const mimeTypes: Record<string, string> = {
  ".json": "application/json",
  ".txt": "text/plain",
  ".log": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".html": "text/html",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".mp4": "video/mp4",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
};

export const filesMetadataFile = ".files_metadata.json";

/** The content type of a stored file, from its name's extension. */
export function contentTypeOf(filename: string): string {
  return mimeTypes[extname(filename).toLowerCase()] ?? "application/octet-stream";
}

/** The live records of a run's files (deleted ones left out). */
export function readFileRecords(runDir: string): FileRecord[] {
  const raw = readJsonObject(join(runDir, "files", filesMetadataFile));
  const files = Array.isArray(raw?.files) ? (raw.files as FileRecord[]) : [];
  return files.filter((file) => file && file.deletedAt == null);
}

/** Where a record's content is stored: `files/<folder>/<id>/<filename>`. */
export function storedFilePath(runDir: string, record: FileRecord): string {
  const folder = record.path.replace(/^\/+/, "");
  return join(runDir, "files", ...(folder ? folder.split("/") : []), record.id, record.filename);
}
