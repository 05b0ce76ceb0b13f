import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ChecksumMismatchError, RunStateError, TrackedFileNotFoundError } from "../../errors.js";
import { checkFileName } from "../../format/names.js";
import { isSystemIoError } from "../../util/disk-full.js";
import {
  checkSaveSource,
  contentTypeOf,
  newFileRecord,
  RunFiles,
  sha256OfFile,
  type FileRecord,
  type SaveOptions,
} from "../run-files.js";
import type { RemoteSender } from "./remote-sender.js";

export interface RemoteFilesContext {
  readonly sender: RemoteSender;
  /** The run also keeps its files locally: save there first, upload that copy. */
  readonly local: boolean;
  /** Files this Run saved (remote only), for list/exists. */
  readonly saved: FileRecord[];
  readonly experimentId: string;
  readonly writable?: ConstructorParameters<typeof RunFiles>[2];
}

/**
 * `run.files(folder)` in remote mode. `save` queues an upload (`PUT /api/runs/:id/files`) and returns
 * without waiting for the network: the bytes are first copied into the buffer (or, when the run also
 * writes locally, the run's local copy is uploaded). `list`/`exists` see the files this Run saved;
 * `download` fetches from the server.
 */
export class RemoteFiles extends RunFiles {
  readonly #context: RemoteFilesContext;

  /** @internal */
  constructor(runDir: string, folder: string | undefined, context: RemoteFilesContext) {
    super(runDir, folder, context.writable);
    this.#context = context;
  }

  override async save(source: string | Uint8Array, options: SaveOptions = {}): Promise<string> {
    const { sender } = this.#context;
    const remoteFolder = this.folder === "/" ? "" : this.folder.slice(1);
    if (this.#context.local) {
      const dest = await super.save(source, options);
      // A full disk keeps the local save waiting (written later): upload from a staged copy instead.
      const info = await stat(dest).catch(() => undefined);
      if (!info) {
        await this.#stage(source, options, remoteFolder);
        return dest;
      }
      sender.enqueueFile({
        folder: remoteFolder,
        filename: basename(dest),
        sha256: await sha256OfFile(dest),
        size: info.size,
        contentType: contentTypeOf(dest),
        source: dest,
        staged: false,
      });
      return dest;
    }
    return this.#stage(source, options, remoteFolder);
  }

  /** Copies the bytes into the buffer and queues their upload; returns the staged copy. */
  async #stage(source: string | Uint8Array, options: SaveOptions, remoteFolder: string): Promise<string> {
    const { sender } = this.#context;
    const { filename } = await checkSaveSource(source, options);
    const staged = sender.stagedPath();
    const held = await stageCopy(source, staged);
    const sha256 = held ? sha256OfBytes(held) : await sha256OfFile(staged);
    const size = held ? held.length : (await stat(staged)).size;
    const contentType = contentTypeOf(filename);
    sender.enqueueFile(
      { folder: remoteFolder, filename, sha256, size, contentType, source: staged, staged: true },
      held,
    );
    const saved = this.#context.saved;
    const at = saved.findIndex((f) => f.path === this.folder && f.filename === filename);
    const record = newFileRecord(
      {
        id: sha256.slice(0, 16),
        experimentId: this.#context.experimentId,
        path: this.folder,
        filename,
        sizeBytes: size,
        checksum: sha256,
      },
      options,
    );
    if (at >= 0) saved[at] = record;
    else saved.push(record);
    return staged;
  }

  override list(): FileRecord[] {
    if (this.#context.local) return super.list();
    return this.#context.saved.filter(
      (r) => this.folder === "/" || r.path === this.folder || r.path.startsWith(`${this.folder}/`),
    );
  }

  override exists(name: string): boolean {
    if (this.#context.local) return super.exists(name);
    const filename = checkFileName(name);
    return this.#context.saved.some((r) => r.path === this.folder && r.filename === filename);
  }

  override path(name: string): string {
    if (this.#context.local) return super.path(name);
    throw new RunStateError(
      `In remote mode the files of a run are on the server, not in a folder: use await run.files("${this.folder}").download("${name}").`,
    );
  }

  override async download(name: string, options: { readonly to?: string } = {}): Promise<string> {
    if (this.#context.local) return super.download(name, options);
    const filename = checkFileName(name);
    const { sender } = this.#context;
    await sender.drain(10_000);
    const runId = sender.runId;
    const store = sender.store;
    const remoteFolder = this.folder === "/" ? "" : this.folder.slice(1);
    const files = runId ? await store.listFiles(runId, remoteFolder) : [];
    const file = files.find((f) => f.filename === filename && (f.prefix ?? "") === remoteFolder);
    if (!runId || !file)
      throw new TrackedFileNotFoundError(name, `in folder ${this.folder} of the run on ${store.url}`);
    const bytes = await store.downloadFile(runId, file.id);
    const to = resolve(options.to ?? filename);
    const target = (await stat(to).catch(() => undefined))?.isDirectory() ? join(to, filename) : to;
    await writeFile(target, bytes);
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== file.sha256) throw new ChecksumMismatchError(target, file.sha256, actual);
    return target;
  }
}

/**
 * Copies the bytes to `staged` in the buffer; when the buffer's disk refuses them (full), returns the bytes
 * to hold in memory instead (the sender caps them), so a save never throws a disk error into training.
 */
async function stageCopy(source: string | Uint8Array, staged: string): Promise<Uint8Array | undefined> {
  try {
    await mkdir(dirname(staged), { recursive: true });
    if (typeof source === "string") await copyFile(source, staged);
    else await writeFile(staged, source);
    return undefined;
  } catch (error) {
    if (!isSystemIoError(error)) throw error;
    await rm(staged, { force: true });
    return typeof source === "string" ? readFile(source) : source;
  }
}

function sha256OfBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
