import { UsageError } from "../../errors.js";
import type { CopyComparison, CopyDatabaseResult, CopyProgress } from "../../store/sql/copy/index.js";
import {
  compareDatabases,
  copyDatabase,
  fileRecords,
  openCopyDatabase,
  openCopySource,
} from "../../store/sql/copy/index.js";
import { copyBlob, hashBlob } from "../files/copy-blob.js";
import type { FileStorage } from "../files/file-storage.js";

/** A file storage and where it is, for messages. */
export interface NamedFileStorage {
  readonly storage: FileStorage;
  readonly where: string;
}

export interface CopyServerOptions {
  /** The source database: `sqlite:PATH` (or `postgres://…`). */
  readonly from: string;
  /** The target database: `postgres://…` (or `sqlite:PATH`). */
  readonly to: string;
  /** The source server's file storage (needed when it holds files). */
  readonly filesFrom?: NamedFileStorage;
  /** Where the bytes go (needed when the source holds files). */
  readonly filesTo?: NamedFileStorage;
  /** Replace what differs in the target under the source's ids. */
  readonly force?: boolean;
  /** Compare both sides after the copy (default true). */
  readonly verify?: boolean;
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** What `copyServer` did and found. */
export interface CopyServerReport {
  readonly copy: CopyDatabaseResult;
  /** Copied file bytes (blobs already in the target are not counted). */
  readonly blobsCopied: number;
  /** The verification (absent with `verify: false`); `differences` include the files' bytes. */
  readonly comparison?: CopyComparison;
  /** Blobs whose bytes were read back from the target and hashed. */
  readonly blobsVerified: number;
}

/**
 * Copies what a labrun server holds (runs, metrics, logs, file records and bytes, tokens) from one database
 * and file storage into another: idempotent (what is already there identical is skipped) and resumable
 * (whole runs are committed one at a time, a run's bytes before its rows). Then compares both sides.
 */
export async function copyServer(options: CopyServerOptions): Promise<CopyServerReport> {
  if (options.from === options.to)
    throw new UsageError("--from and --to name the same database: nothing to copy.");
  const source = await openCopySource(options.from);
  try {
    const target = await openCopyDatabase(options.to, "target");
    try {
      const files = await fileRecords(source.snapshot);
      const { filesFrom, filesTo } = options;
      if (files.length > 0 && (!filesFrom || !filesTo)) {
        throw new UsageError(
          `The source holds ${files.length} file(s): give where their bytes are (--files-from, the source ` +
            "server's --files) and where they go (--files-to DIR or s3://bucket/prefix). Nothing was written.",
        );
      }
      let blobsCopied = 0;
      const copy = await copyDatabase(source, target, {
        ...(options.force ? { force: true } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        beforeRun: async (rows) => {
          for (const row of rows) {
            const blob = {
              id: row.id as string,
              storageKey: row.storage_key as string,
              size: Number(row.size),
              sha256: row.sha256 as string,
            };
            if ((await copyBlob(filesFrom!.storage, filesTo!.storage, blob, filesFrom!.where)) === "copied")
              blobsCopied++;
          }
        },
      });
      // Runs an earlier copy finished had their bytes copied then; a blob lost since is copied again.
      if (filesFrom && filesTo) {
        for (const file of files)
          if ((await copyBlob(filesFrom.storage, filesTo.storage, file, filesFrom.where)) === "copied")
            blobsCopied++;
      }
      if (options.verify === false) return { copy, blobsCopied, blobsVerified: 0 };
      const comparison = await compareDatabases(source.snapshot, target.driver);
      const differences = [...comparison.differences];
      let blobsVerified = 0;
      for (const file of files) {
        const stored = await hashBlob(filesTo!.storage, file.storageKey);
        blobsVerified++;
        if (!stored) differences.push(`file ${file.id}: its bytes are missing from ${filesTo!.where}`);
        else if (stored.sha256 !== file.sha256 || stored.size !== file.size)
          differences.push(`file ${file.id}: the bytes in ${filesTo!.where} do not match its SHA-256`);
      }
      return { copy, blobsCopied, comparison: { ...comparison, differences }, blobsVerified };
    } finally {
      await target.driver.close();
    }
  } finally {
    await source.close();
  }
}
