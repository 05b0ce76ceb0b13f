import { randomInt } from "node:crypto";
import { join } from "node:path";
import { isoNow } from "../../format/clock.js";
import { readJsonObject, writeJsonObject } from "../../format/json-file.js";
import { contentTypeOf, readFileRecords, type FileRecord } from "../../format/file-records.js";
import type { NewFile, StoredFile } from "../store.js";

const metadataFile = ".files_metadata.json";

/** ML-Dash's local file id: (milliseconds << 12) | 12 random bits, in decimal. */
function newFileId(): string {
  return ((BigInt(Date.now()) << 12n) | BigInt(randomInt(4096))).toString();
}

function toStored(record: FileRecord & { storageKey?: unknown }, runKey: string): StoredFile {
  const folder = record.path.replace(/^\/+/, "");
  const key =
    typeof record.storageKey === "string"
      ? record.storageKey
      : [runKey, "files", ...(folder ? [folder] : []), record.id, record.filename].join("/");
  return {
    id: record.id,
    prefix: folder,
    filename: record.filename,
    size: record.sizeBytes,
    sha256: record.checksum,
    contentType: record.contentType,
    storageKey: key,
    createdAt: record.uploadedAt,
  };
}

/**
 * The run's live files (files/.files_metadata.json), by folder and name. A file the SDK stored has its bytes
 * in the run (`files/<folder>/<id>/<name>`): its `storageKey` is that path after the run's key (`runKey`,
 * the run's folder relative to the store's base).
 */
export function listFileRecords(dir: string, runKey: string): StoredFile[] {
  return readFileRecords(dir)
    .map((record) => toStored(record, runKey))
    .sort((a, b) =>
      a.prefix !== b.prefix ? (a.prefix < b.prefix ? -1 : 1) : a.filename < b.filename ? -1 : 1,
    );
}

/** Records a file whose bytes a `FileStorage` holds; one of the same folder and name is replaced. */
export function addFileRecord(dir: string, file: NewFile, runKey: string): StoredFile {
  const path = file.prefix === "" ? "/" : `/${file.prefix}`;
  const now = isoNow();
  const record: FileRecord & { storageKey: string } = {
    id: newFileId(),
    experimentId: runKey,
    path,
    filename: file.filename,
    description: null,
    tags: [],
    bindrs: [],
    contentType: file.contentType ?? contentTypeOf(file.filename),
    sizeBytes: file.size,
    checksum: file.sha256,
    metadata: null,
    uploadedAt: now,
    updatedAt: now,
    deletedAt: null,
    storageKey: file.storageKey,
  };
  const metadata = join(dir, "files", metadataFile);
  const document = readJsonObject(metadata) ?? {};
  const files = (Array.isArray(document.files) ? (document.files as FileRecord[]) : []).filter(
    (f) => !(f.path === path && f.filename === file.filename && f.deletedAt == null),
  );
  files.push(record);
  writeJsonObject(metadata, { ...document, files });
  return toStored(record, runKey);
}
