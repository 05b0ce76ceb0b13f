import { createHash, randomInt } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { copyFile, mkdir, rm, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ChecksumMismatchError, TrackedFileNotFoundError, TrackingValueError } from "../errors.js";
import { isoNow } from "../format/clock.js";
import { encodeJson, type JsonValue } from "../format/json-codec.js";
import { readJsonObject, writeJsonObject } from "../format/json-file.js";
import { checkFileName, normaliseFileFolder } from "../format/names.js";
import type { FileSave } from "./pending-writes.js";
import {
  contentTypeOf,
  filesMetadataFile as metadataFile,
  readFileRecords,
  storedFilePath,
  type FileRecord,
} from "../format/file-records.js";

// A run's files' records (files/.files_metadata.json) are the run folder's format: format/file-records.ts.
export { contentTypeOf, readFileRecords, storedFilePath, type FileRecord } from "../format/file-records.js";

/** What a writable `RunFiles` is given by its Run. */
export interface WritableFiles {
  readonly experimentId: string;
  readonly serial: (task: () => Promise<void>) => Promise<void>;
  /** The run's local sink: saves the disk refuses wait there (`saveFile`) instead of throwing. */
  readonly sink?: { readonly filesWaiting: boolean; saveFile(save: FileSave): void };
}

/** An error of the system (ENOSPC, EIO, EDQUOT…), not of the caller's input. */
function isSystemError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}

export interface SaveOptions {
  /** The stored file name; defaults to the source's base name. Required for bytes. */
  readonly name?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly metadata?: Record<string, JsonValue>;
}

/** ML-Dash's local file id: (milliseconds << 12) | 12 random bits, in decimal. */
function fileId(): string {
  return ((BigInt(Date.now()) << 12n) | BigInt(randomInt(4096))).toString();
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function sha256OfFileSync(file: string): string {
  const hash = createHash("sha256");
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/**
 * Checks what `files().save` was given, before anything is written: a path of an existing file, or bytes
 * with a name; returns the stored file's name and its size.
 */
export async function checkSaveSource(
  source: string | Uint8Array,
  options: SaveOptions,
): Promise<{ filename: string; size: number }> {
  const isPath = typeof source === "string";
  if (!isPath && !(source instanceof Uint8Array)) {
    throw new TrackingValueError("files().save takes a file path or bytes (a Uint8Array / Buffer).");
  }
  if (!isPath && options.name === undefined) {
    throw new TrackingValueError(
      'Saving bytes needs a file name: files("folder").save(bytes, { name: "x.bin" }).',
    );
  }
  const filename = checkFileName(options.name ?? basename(source as string));
  if (options.metadata !== undefined) encodeJson(options.metadata, "metadata");
  if (!isPath) return { filename, size: source.byteLength };
  const info = await stat(source).catch(() => undefined);
  if (!info?.isFile())
    throw new TrackedFileNotFoundError(source, "to save", "Pass the path of an existing file, or bytes.");
  return { filename, size: info.size };
}

/** The record of a file just stored (ML-Dash's fields). */
export function newFileRecord(
  fields: Pick<FileRecord, "id" | "experimentId" | "path" | "filename" | "sizeBytes" | "checksum">,
  options: SaveOptions,
): FileRecord {
  const now = isoNow();
  return {
    ...fields,
    description: options.description ?? null,
    tags: [...(options.tags ?? [])],
    bindrs: [],
    contentType: contentTypeOf(fields.filename),
    metadata: options.metadata ?? null,
    uploadedAt: now,
    updatedAt: now,
    deletedAt: null,
  };
}

function inFolder(record: FileRecord, folder: string): boolean {
  return folder === "/" || record.path === folder || record.path.startsWith(`${folder}/`);
}

/** `run.files("models")`: the stored files of one folder of a run. */
export class RunFiles {
  readonly folder: string;
  readonly #runDir: string;
  readonly #writable: WritableFiles | undefined;

  /** @internal */
  constructor(runDir: string, folder: string | undefined, writable?: WritableFiles) {
    this.folder = normaliseFileFolder(folder);
    this.#runDir = runDir;
    this.#writable = writable;
  }

  /**
   * Stores a copy of a file (by path) or of bytes in this folder; returns the stored file's path. A file
   * with the same name in the folder is replaced. A write the disk refuses (full) is not thrown: the save
   * waits in the run's queue and is made again, whole, when the disk takes it (`run.writeStatus()`).
   *
   * @example const stored = await run.files("models").save("model.pt");
   */
  async save(source: string | Uint8Array, options: SaveOptions = {}): Promise<string> {
    const writable = this.#writable;
    if (!writable) throw new TrackingValueError("This run was opened for reading: it cannot save files.");
    const { filename, size } = await checkSaveSource(source, options);
    const isPath = typeof source === "string";
    const checksum = isPath ? await sha256OfFile(source) : createHash("sha256").update(source).digest("hex");
    let id = fileId();
    const folderParts = this.folder === "/" ? [] : this.folder.slice(1).split("/");
    while (existsSync(join(this.#runDir, "files", ...folderParts, id))) id = fileId();
    const dir = join(this.#runDir, "files", ...folderParts, id);
    const dest = join(dir, filename);
    const record = newFileRecord(
      { id, experimentId: writable.experimentId, path: this.folder, filename, sizeBytes: size, checksum },
      options,
    );
    const { sink } = writable;
    // A full disk: the save waits in the run's sink, in order, and is written again as a whole when the disk
    // takes it (the copy made from the source then, bytes kept in memory).
    const queue = () => {
      const bytes = isPath ? undefined : Buffer.from(source);
      sink!.saveFile({
        key: `${this.folder}/${filename}`,
        size: bytes?.byteLength ?? 0,
        write: () => {
          try {
            mkdirSync(dir, { recursive: true });
            if (isPath) copyFileSync(source, dest);
            else writeFileSync(dest, bytes!);
            this.#register({ ...record, sizeBytes: statSync(dest).size, checksum: sha256OfFileSync(dest) });
          } catch (error) {
            rmSync(dir, { recursive: true, force: true });
            throw error;
          }
        },
      });
    };
    if (sink?.filesWaiting) {
      queue();
      return dest;
    }
    try {
      await mkdir(dir, { recursive: true });
      if (isPath) await copyFile(source, dest);
      else await writeFile(dest, source);
      await writable.serial(async () => this.#register(record));
    } catch (error) {
      // A partial copy (a full disk) would hold the space and look like a stored file.
      await rm(dir, { recursive: true, force: true });
      if (!sink || !isSystemError(error)) throw error;
      queue();
    }
    return dest;
  }

  // Synchronous: the sink's retries run between two calls and must not interleave with one.
  #register(record: FileRecord): void {
    const file = join(this.#runDir, "files", metadataFile);
    const document = readJsonObject(file) ?? {};
    const files = Array.isArray(document.files) ? (document.files as FileRecord[]) : [];
    const at = files.findIndex(
      (f) => f.path === record.path && f.filename === record.filename && f.deletedAt == null,
    );
    if (at >= 0) {
      const old = dirname(storedFilePath(this.#runDir, files[at]!));
      // A record edited by hand must not make us delete anything outside the run's files.
      if (/^\d+$/.test(files[at]!.id) && old.startsWith(join(this.#runDir, "files") + sep)) {
        rmSync(old, { recursive: true, force: true });
      }
      files[at] = record;
    } else files.push(record);
    writeJsonObject(file, { ...document, files });
  }

  /** The files of this folder and the folders under it. */
  list(): FileRecord[] {
    return readFileRecords(this.#runDir).filter((record) => inFolder(record, this.folder));
  }

  /** True when this folder holds a file of that name. */
  exists(name: string): boolean {
    return this.#find(name) !== undefined;
  }

  /** The path of a stored file, for reading it in place (do not modify it). */
  path(name: string): string {
    const record = this.#find(name);
    if (!record) throw new TrackedFileNotFoundError(name, `in folder ${this.folder} of the run`);
    return storedFilePath(this.#runDir, record);
  }

  /**
   * Copies a stored file out to `to` (default: its name in the current directory), checking its SHA-256;
   * returns the copy's path.
   */
  async download(name: string, options: { readonly to?: string } = {}): Promise<string> {
    const record = this.#find(name);
    if (!record) throw new TrackedFileNotFoundError(name, `in folder ${this.folder} of the run`);
    const source = storedFilePath(this.#runDir, record);
    if (!existsSync(source)) throw new TrackedFileNotFoundError(name, `on disk (${source} is missing)`);
    const to = resolve(options.to ?? record.filename);
    const target = existsSync(to) && statSync(to).isDirectory() ? join(to, record.filename) : to;
    await copyFile(source, target);
    const actual = await sha256OfFile(target);
    if (actual !== record.checksum) {
      await unlink(target).catch(() => undefined);
      throw new ChecksumMismatchError(source, record.checksum, actual);
    }
    return target;
  }

  #find(name: string): FileRecord | undefined {
    const filename = checkFileName(name);
    return readFileRecords(this.#runDir).find(
      (record) => record.path === this.folder && record.filename === filename,
    );
  }
}
