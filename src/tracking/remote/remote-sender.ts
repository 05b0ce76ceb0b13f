import { randomUUID } from "node:crypto";
import { TrackedFileNotFoundError } from "../../errors.js";
import { createReadStream, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunUpsert } from "../../store/store.js";
import { isAuthRefusal, isRetryable } from "../../store/http/http-client.js";
import type { HttpStore } from "../../store/http/http-store.js";
import {
  batchFileName,
  rejectBuffered,
  removeBuffered,
  writeBufferedText,
  type BufferedFile,
} from "./run-buffer.js";
import { remoteStatusFile, type RemoteStatus } from "./remote-status.js";

export interface RemoteSenderOptions {
  readonly store: HttpStore;
  readonly prefix: string;
  readonly upsert: RunUpsert;
  readonly clientId: string;
  readonly bufferDir: string;
  /** First retry delay (doubles up to `maxRetryDelayMs`, with jitter); default 250 ms. */
  readonly retryDelayMs?: number;
  /** Default 30 s. */
  readonly maxRetryDelayMs?: number;
  /**
   * While the buffer cannot be written (a full disk), keep at most this many characters of batches in memory
   * only; beyond, new batches are dropped and counted in `lost`. Default 64 MiB.
   */
  readonly maxMemoryBytes?: number;
  /** Where the sender reports trouble (once per kind) and recovery; default stderr. */
  readonly report?: (message: string) => void;
  /**
   * An attached writer (no status of its own): an existing run is used as it is, not upserted (which would
   * mark it RUNNING again).
   */
  readonly attach?: boolean;
}

interface QueueItem {
  readonly kind: "batch" | "file";
  readonly order: number;
  readonly seq: number;
  /** The buffer file (undefined when it could not be written: then `text` is the only copy). */
  file: string | undefined;
  /** While the buffer file could not be written: its name and content, written again at `stop()`. */
  unwritten?: { readonly name: string; readonly envelope: string };
  /** The RunBatch JSON, while kept in memory. */
  text: string | undefined;
  readonly upload?: BufferedFile;
  /** A file's bytes while the buffer disk refused its staged copy (written at `stop()` if the disk takes them). */
  bytes?: Uint8Array;
}

/** Items whose text stays in memory; beyond, it is read back from the buffer file when its turn comes. */
const inMemory = 64;

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : "ERROR";
}

/**
 * Sends one client's batches and file uploads to the server, in order, one at a time: each is written to the
 * buffer first, retried with backoff until the server acknowledges it (same `(clientId, seq)`, so the
 * server stores it once), then deleted. Never throws into its caller; trouble is counted and reported.
 */
export class RemoteSender {
  readonly #options: RemoteSenderOptions;
  readonly #queue: QueueItem[] = [];
  readonly #report: (message: string) => void;
  readonly #reported = new Set<string>();
  #runId: string | undefined;
  #nextSeq = 1;
  #nextFile = 1;
  #nextOrder = 1;
  #pumping: Promise<void> | undefined;
  #stopped = false;
  #state: RemoteStatus["state"] = "connecting";
  #delay = 0;
  #counts = { acknowledged: 0, duplicates: 0, uploaded: 0, rejected: 0, retries: 0, errors: 0, lost: 0 };
  // Characters of the batches held in memory only (their buffer file could not be written).
  #memoryBytes = 0;
  #lastError: RemoteStatus["lastError"];
  #waiters: (() => void)[] = [];
  #statusWrittenAt = 0;
  #recreated = false;

  constructor(options: RemoteSenderOptions) {
    this.#options = options;
    this.#report =
      options.report ??
      ((message) => {
        try {
          process.stderr.write(`[labrun] ${message}\n`);
        } catch {
          // stderr closed
        }
      });
  }

  get store(): HttpStore {
    return this.#options.store;
  }

  get runId(): string | undefined {
    return this.#runId;
  }

  get pending(): number {
    return this.#queue.length;
  }

  status(): RemoteStatus {
    return {
      url: this.#options.store.url,
      prefix: this.#options.prefix,
      ...(this.#runId ? { runId: this.#runId } : {}),
      clientId: this.#options.clientId,
      state: this.#stopped ? "closed" : this.#state,
      acknowledgedBatches: this.#counts.acknowledged,
      duplicateBatches: this.#counts.duplicates,
      uploadedFiles: this.#counts.uploaded,
      pending: this.#queue.length,
      rejected: this.#counts.rejected,
      retries: this.#counts.retries,
      errors: this.#counts.errors,
      lost: this.#counts.lost,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      bufferDir: this.#options.bufferDir,
    };
  }

  /** Starts talking to the server (upserts the run) before any batch is due. */
  open(): void {
    this.#kick();
  }

  /**
   * Queues a batch (`inner`: the RunBatch fields as JSON text without braces), written to the buffer first.
   * `final` (the one carrying the final status) is kept even when memory is over `maxMemoryBytes`.
   */
  enqueueBatch(inner: string, final = false): void {
    const seq = this.#nextSeq++;
    const { clientId } = this.#options;
    const text = `{"clientId":${JSON.stringify(clientId)},"seq":${seq}${inner ? `,${inner}` : ""}}`;
    const order = this.#nextOrder++;
    const name = batchFileName(clientId, seq);
    const envelope = this.#envelope("batch", order, `"seq":${seq},"batch":${text}`);
    const file = this.#write(name, () => envelope);
    if (!file && !this.#holdInMemory(envelope.length + text.length, final)) return;
    this.#queue.push({
      kind: "batch",
      order,
      seq,
      file,
      text: file && this.#queue.length >= inMemory ? undefined : text,
      ...(file ? {} : { unwritten: { name, envelope } }),
    });
    this.#kick();
  }

  /** Queues a file upload whose bytes are at `source` (a staged copy when `staged`). */
  enqueueFile(
    upload: Omit<
      BufferedFile,
      "labrunBuffer" | "kind" | "url" | "prefix" | "upsert" | "clientId" | "order" | "n" | "createdAt"
    >,
    bytes?: Uint8Array,
  ): void {
    const n = this.#nextFile++;
    const order = this.#nextOrder++;
    const { clientId } = this.#options;
    const envelope = this.#envelope("file", order, `"n":${n},${JSON.stringify(upload).slice(1, -1)}`);
    const item = JSON.parse(envelope) as BufferedFile;
    const name = `${clientId}-f${n}.file.json`;
    const file = this.#write(name, () => envelope);
    const held = (file ? 0 : envelope.length) + (bytes?.length ?? 0);
    if (held > 0 && !this.#holdInMemory(held, false)) {
      if (file) rmSync(file, { force: true });
      return;
    }
    this.#queue.push({
      kind: "file",
      order,
      seq: n,
      file,
      text: undefined,
      upload: item,
      ...(file ? {} : { unwritten: { name, envelope } }),
      ...(bytes ? { bytes } : {}),
    });
    this.#kick();
  }

  /** The buffer path a staged upload's bytes should be copied to before `enqueueFile`. */
  stagedPath(): string {
    return `${this.#options.bufferDir}/${this.#options.clientId}-${randomUUID()}.bin`;
  }

  /**
   * Waits until everything queued so far is acknowledged (or refused), at most `timeoutMs`; true when the
   * queue is empty. The wait keeps the process alive; the background retries alone do not.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#queue.length === 0) return true;
    if (this.#state === "refused" || this.#stopped) return false;
    this.#kick();
    const drained = new Promise<void>((resolve) => this.#waiters.push(resolve));
    const controller = new AbortController();
    await Promise.race([
      drained,
      sleep(timeoutMs, undefined, { signal: controller.signal }).catch(() => undefined),
    ]);
    controller.abort();
    return this.#queue.length === 0;
  }

  /** Stops sending; what is not acknowledged stays in the buffer (for `labrun sync`). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    // Batches the buffer refused when they were queued (a full disk): the disk may take them now.
    for (const item of this.#queue) {
      if (item.bytes && !this.#writeHeldBytes(item)) break;
      if (item.file !== undefined || !item.unwritten) continue;
      try {
        item.file = writeBufferedText(this.#options.bufferDir, item.unwritten.name, item.unwritten.envelope);
        delete item.unwritten;
      } catch {
        break; // still full: keep the order, what follows stays unwritten too
      }
    }
    const left = this.#queue.filter((item) => item.file !== undefined).length;
    if (left > 0) {
      this.#report(
        `remote: ${left} batch(es) of run ${this.#options.prefix} were not acknowledged by ${this.#options.store.url}; ` +
          `they are kept in ${this.#options.bufferDir}. Run \`labrun sync\` to send them.`,
      );
    }
    this.#persistStatus(true);
    const lost = this.#queue.length - left;
    this.#counts.lost += lost;
    if (lost > 0)
      this.#report(
        `remote: ${lost} batch(es) of run ${this.#options.prefix} could not be written to the buffer and are lost.`,
      );
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  #envelope(kind: "batch" | "file", order: number, rest: string): string {
    const { store, prefix, upsert, clientId } = this.#options;
    return (
      `{"labrunBuffer":1,"kind":"${kind}","url":${JSON.stringify(store.url)},"prefix":${JSON.stringify(prefix)},` +
      `"upsert":${JSON.stringify(upsert)},"clientId":${JSON.stringify(clientId)},"order":${order},` +
      `"createdAt":"${new Date().toISOString()}",${rest}}`
    );
  }

  /**
   * A batch the buffer refused is held in memory only; past `maxMemoryBytes` (the server not taking them
   * either) it is dropped and counted as lost, so memory stays bounded. False when dropped.
   */
  #holdInMemory(size: number, final: boolean): boolean {
    const max = this.#options.maxMemoryBytes ?? 64 * 1024 * 1024;
    if (final || this.#memoryBytes + size <= max) {
      this.#memoryBytes += size;
      return true;
    }
    this.#counts.lost++;
    this.#error(
      new Error(`over ${max} characters of batches wait in memory`),
      "memory",
      `remote: the buffer in ${this.#options.bufferDir} cannot be written and ${this.#options.store.url} has not ` +
        `taken the ${this.#queue.length} batch(es) held in memory (over ${max} characters); new batches are ` +
        `dropped, counted in remoteStatus().lost, and the run will not end COMPLETED`,
    );
    this.#persistStatus(false);
    return false;
  }

  /** Writes a held file's bytes to their staged path; when the disk still refuses, its envelope goes too. */
  #writeHeldBytes(item: QueueItem): boolean {
    try {
      writeFileSync(item.upload!.source, item.bytes!);
      delete item.bytes;
      return true;
    } catch {
      if (item.file) rmSync(item.file, { force: true });
      item.file = undefined;
      delete item.unwritten;
      return false;
    }
  }

  #forget(item: QueueItem): void {
    if (item.unwritten) this.#memoryBytes -= item.unwritten.envelope.length + (item.text?.length ?? 0);
    if (item.bytes) this.#memoryBytes -= item.bytes.length;
  }

  #write(name: string, text: () => string): string | undefined {
    try {
      return writeBufferedText(this.#options.bufferDir, name, text());
    } catch (error) {
      this.#error(
        error,
        "buffer",
        `remote: cannot write the buffer in ${this.#options.bufferDir}; keeping batches in memory only`,
      );
      return undefined;
    }
  }

  #kick(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (
        (this.#queue.length > 0 || this.#runId === undefined) &&
        !this.#stopped &&
        this.#state !== "refused"
      )
        this.#kick();
    });
  }

  async #pump(): Promise<void> {
    while (
      (this.#queue.length > 0 || this.#runId === undefined) &&
      !this.#stopped &&
      this.#state !== "refused"
    ) {
      try {
        if (this.#runId === undefined) {
          const { store, upsert, attach } = this.#options;
          const existing = attach ? await store.getRunByPrefix(upsert.prefix) : undefined;
          this.#runId = (existing ?? (await store.upsertRun(upsert))).id;
          this.#markOnline();
          continue;
        }
        const item = this.#queue[0]!;
        await this.#send(item);
        this.#done(item);
      } catch (error) {
        if (isRetryable(error)) {
          this.#counts.retries++;
          this.#error(
            error,
            `retry:${errorCode(error)}`,
            `remote: ${describe(error)}; keeping batches in ${this.#options.bufferDir} and retrying`,
          );
          if (this.#state !== "retrying") {
            this.#state = "retrying";
            this.#persistStatus(true);
          }
          this.#delay = Math.min(
            this.#options.maxRetryDelayMs ?? 30_000,
            this.#delay ? this.#delay * 2 : (this.#options.retryDelayMs ?? 250),
          );
          await sleep(this.#delay * (0.5 + Math.random() / 2), undefined, { ref: false });
        } else if (errorCode(error) === "RUN_NOT_FOUND" && this.#runId !== undefined && !this.#recreated) {
          // The server lost the run (a new database, a deleted run): create it again, once, and resend.
          this.#recreated = true;
          this.#runId = undefined;
          this.#error(
            error,
            "recreate",
            `remote: the server no longer has run ${this.#options.prefix}; creating it again`,
          );
        } else if (this.#runId === undefined || isAuthRefusal(error)) {
          // The run itself, or the token (expired, revoked, read-only): nothing was judged, so every batch
          // stays in the buffer, in order, for `labrun sync` with a valid token.
          this.#state = "refused";
          this.#persistStatus(true);
          this.#error(
            error,
            "refused",
            `remote: the server refuses run ${this.#options.prefix}: ${describe(error)}. Its batches stay in ${this.#options.bufferDir}; fix the problem and run \`labrun sync\``,
          );
          for (const waiter of this.#waiters.splice(0)) waiter();
        } else {
          const item = this.#queue.shift()!;
          this.#forget(item);
          this.#counts.rejected++;
          this.#error(
            error,
            `reject:${errorCode(error)}`,
            `remote: the server refused ${item.kind} ${item.seq} of run ${this.#options.prefix}: ${describe(error)} (kept in ${this.#options.bufferDir}/rejected)`,
          );
          if (item.file) rejectBuffered(item.file, error);
          this.#settle();
        }
      }
    }
    this.#settle();
  }

  async #send(item: QueueItem): Promise<void> {
    const runId = this.#runId!;
    if (item.kind === "file") {
      const upload = item.upload!;
      if (!item.bytes && !existsSync(upload.source)) {
        // Replaced (saved again under its name) or deleted before its turn: nothing left to send.
        throw new TrackedFileNotFoundError(
          upload.source,
          "to upload",
          "It was replaced or removed before it was sent.",
        );
      }
      await this.#options.store.uploadFile(runId, item.bytes ?? createReadStream(upload.source), {
        prefix: upload.folder,
        filename: upload.filename,
        sha256: upload.sha256,
        contentType: upload.contentType,
      });
      this.#counts.uploaded++;
      return;
    }
    let text = item.text;
    if (text === undefined && item.file) {
      let raw: string;
      try {
        raw = readFileSync(item.file, "utf8");
      } catch (error) {
        // `labrun sync` sent it meanwhile (it deletes a buffer file only once the server has it).
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      text = JSON.stringify((JSON.parse(raw) as { batch: unknown }).batch);
    }
    const result = await this.#options.store.client.json<{ duplicate?: boolean }>(
      "POST",
      `/api/runs/${encodeURIComponent(runId)}/batches`,
      { raw: text ?? "{}", headers: { "content-type": "application/json" }, timeoutMs: 60_000 },
    );
    this.#counts.acknowledged++;
    if (result.duplicate) this.#counts.duplicates++;
  }

  #done(item: QueueItem): void {
    this.#queue.shift();
    this.#forget(item);
    if (item.file) removeBuffered(item.file, item.upload);
    this.#markOnline();
    this.#persistStatus(false);
    this.#settle();
  }

  // `labrun runs show` reads it: how the last session of this run got (or did not get) to the server.
  #persistStatus(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#statusWrittenAt < 1000) return;
    this.#statusWrittenAt = now;
    try {
      writeBufferedText(
        this.#options.bufferDir,
        remoteStatusFile,
        `${JSON.stringify({ ...this.status(), savedAt: new Date(now).toISOString() })}\n`,
      );
    } catch {
      // the buffer's own errors are counted where batches are written
    }
  }

  #markOnline(): void {
    if (this.#state !== "online") {
      this.#statusWrittenAt = 0;
      if (this.#state === "retrying")
        this.#report(
          `remote: ${this.#options.store.url} answers again; sending the ${this.#queue.length} waiting batch(es)`,
        );
      this.#state = "online";
    }
    this.#delay = 0;
    for (const kind of this.#reported) if (kind.startsWith("retry:")) this.#reported.delete(kind);
  }

  #settle(): void {
    if (this.#queue.length === 0) for (const waiter of this.#waiters.splice(0)) waiter();
  }

  #error(error: unknown, kind: string, message: string): void {
    this.#counts.errors++;
    this.#lastError = {
      code: errorCode(error),
      message: error instanceof Error ? error.message : String(error),
      at: new Date().toISOString(),
    };
    if (!this.#reported.has(kind)) {
      this.#reported.add(kind);
      this.#report(message);
    }
  }
}

function describe(error: unknown): string {
  return `${errorCode(error)}: ${error instanceof Error ? error.message : String(error)}`;
}
