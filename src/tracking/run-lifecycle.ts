import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { processStartTicks } from "../util/process-probe.js";
import { RunBusyError, RunStateError, RunWriteError } from "../errors.js";
import { isoNow } from "../format/clock.js";
import { encodeJson, type JsonValue } from "../format/json-codec.js";
import type { ParsedPrefix } from "../format/names.js";
import { acquireOwnerLock, type OwnerLock } from "../format/owner-lock.js";
import { releaseSpace, reserveSpace } from "./space-reserve.js";
import type { WriteStatus } from "./run-sink.js";
import {
  errorRecord,
  ownerAlive,
  readRunRecord,
  writeRunRecord,
  type RunRecord,
  type RunStatus,
} from "../format/run-record.js";

export interface RunDescription {
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly bindrs?: readonly string[];
  readonly metadata?: Record<string, JsonValue>;
}

/**
 * The status of a run in its `experiment.json`. An owner moves it RUNNING → COMPLETED | FAILED | CANCELLED
 * and keeps a heartbeat while it runs; an attached writer only creates the file when missing and never
 * touches the status. The first final status wins: later transitions are ignored.
 */
export class RunLifecycle {
  readonly #dir: string;
  readonly #prefix: ParsedPrefix;
  readonly #owner: boolean;
  readonly #heartbeatMs: number;
  #record: RunRecord | undefined;
  #status: RunStatus | undefined;
  #lastBeat = 0;
  #lostBefore = 0;
  #lock: OwnerLock | undefined;
  #lost = 0;
  #report: (message: string) => void = (message) => {
    try {
      process.stderr.write(`[labrun] ${message}\n`);
    } catch {
      // stderr closed
    }
  };

  constructor(dir: string, prefix: ParsedPrefix, options: { owner: boolean; heartbeatIntervalSec: number }) {
    this.#dir = dir;
    this.#prefix = prefix;
    this.#owner = options.owner;
    this.#heartbeatMs = options.heartbeatIntervalSec * 1000;
  }

  get status(): RunStatus | undefined {
    return this.#status;
  }

  /** Creates or re-opens the run (upsert); as owner, marks it RUNNING. Refuses a run a live owner holds. */
  open(description: RunDescription): void {
    if (description.metadata !== undefined) encodeJson(description.metadata, "metadata");
    mkdirSync(this.#dir, { recursive: true });
    if (this.#owner) {
      const attempt = acquireOwnerLock(this.#dir);
      if (!attempt.acquired)
        throw new RunBusyError(this.#prefix.prefix, { pid: attempt.holder.pid, host: attempt.holder.host });
      this.#lock = attempt.lock;
    }
    let existing: RunRecord | undefined;
    try {
      existing = readRunRecord(this.#dir);
      // A writer of an older version holds no lock: its record says it runs.
      if (
        this.#owner &&
        existing?.status === "RUNNING" &&
        existing.pid !== process.pid &&
        ownerAlive(existing)
      ) {
        throw new RunBusyError(this.#prefix.prefix, {
          pid: existing.pid ?? 0,
          host: existing.host ?? "unknown host",
        });
      }
    } catch (error) {
      this.#releaseLock();
      throw error;
    }
    const now = isoNow();
    const record = baseRunRecord(this.#prefix, description, existing, now);
    this.#lostBefore = typeof existing?.lostRecords === "number" ? existing.lostRecords : 0;
    if (this.#owner) {
      Object.assign(record, {
        labrunFormat: 1,
        status: "RUNNING",
        statusReason: null,
        startedAt: now,
        endedAt: null,
        heartbeatAt: now,
        heartbeatIntervalSec: this.#heartbeatMs / 1000,
        host: hostname(),
        pid: process.pid,
        processStart: processStartTicks(process.pid) ?? null,
        error: null,
      } satisfies Partial<RunRecord>);
      this.#lastBeat = Date.now();
    }
    try {
      writeRunRecord(this.#dir, record);
    } catch (error) {
      this.#releaseLock();
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === "string" && /^E[A-Z]+$/.test(code))
        throw new RunWriteError(this.#prefix.prefix, "experiment.json", {
          code,
          message: (error as Error).message,
        });
      throw error;
    }
    if (this.#owner) reserveSpace(this.#dir);
    this.#record = record;
    this.#status = "RUNNING";
  }

  /**
   * Records how the run's files are being written (owners only): failed writes and lost records go into
   * experiment.json (`writeErrors`, `lostRecords`, `lastWriteError`) at the next heartbeat, which is then
   * due at once. A run that lost records this session cannot end COMPLETED.
   */
  noteWrites(status: WriteStatus): void {
    if (!this.#owner || this.#record === undefined || status.errors === 0) return;
    const record = this.#record;
    const lost = this.#lostBefore + status.lost;
    if (record.writeErrors === status.errors && record.lostRecords === lost) return;
    this.#lost = status.lost;
    Object.assign(record, {
      writeErrors: status.errors,
      lostRecords: lost,
      lastWriteError: status.lastError ?? null,
    });
    this.#lastBeat = 0;
  }

  /** Rewrites the heartbeat when it is due (owners only). */
  beat(now = Date.now()): void {
    if (!this.#owner || this.#status !== "RUNNING" || now - this.#lastBeat < this.#heartbeatMs) return;
    this.#lastBeat = now;
    this.#record!.heartbeatAt = new Date(now).toISOString();
    writeRunRecord(this.#dir, this.#record!);
  }

  markCompleted(reason: string | null = null): void {
    this.#finish("COMPLETED", reason, null);
  }

  markFailed(error: unknown, reason: string | null = null): void {
    this.#finish("FAILED", reason, error === undefined ? null : errorRecord(error));
  }

  markCancelled(reason: string | null = null): void {
    this.#finish("CANCELLED", reason, null);
  }

  #finish(status: RunStatus, reason: string | null, error: ReturnType<typeof errorRecord> | null): void {
    if (this.#status === undefined) throw new RunStateError("The run was never started: call start() first.");
    if (this.#status !== "RUNNING") return;
    if (status === "COMPLETED" && this.#lost > 0) {
      status = "FAILED";
      const last = this.#record?.lastWriteError as { code?: string; message?: string } | null | undefined;
      reason =
        `lost ${this.#lost} record(s) that could not be written` +
        (last?.message ? ` (${last.message})` : "") +
        (reason ? `; ${reason}` : "");
    }
    this.#status = status;
    if (!this.#owner) return;
    const record = this.#record!;
    const now = isoNow();
    Object.assign(record, { status, statusReason: reason, endedAt: now, heartbeatAt: now, error });
    try {
      try {
        writeRunRecord(this.#dir, record);
      } catch (failure) {
        if ((failure as NodeJS.ErrnoException).code !== "ENOSPC") throw failure;
        // The disk is full: the space set aside at open is for this very write.
        releaseSpace(this.#dir);
        writeRunRecord(this.#dir, record);
      }
    } catch (failure) {
      // Never into the program: the old experiment.json stays whole (RUNNING), and readers report the run
      // FAILED ("process died") once this process has ended.
      this.#report(
        `could not record the status ${status} of run ${this.#prefix.prefix}: ${(failure as Error).message}`,
      );
    }
    releaseSpace(this.#dir);
    this.#releaseLock();
  }

  #releaseLock(): void {
    try {
      this.#lock?.release();
    } catch {
      // a lock left behind is taken over: its holder (this process) is not a live owner once the run ended
    }
    this.#lock = undefined;
  }
}

/** experiment.json's ML-Dash fields for a run being created or re-opened (upsert): what every writer sets. */
export function baseRunRecord(
  prefix: ParsedPrefix,
  description: RunDescription,
  existing: RunRecord | undefined,
  now: string,
): RunRecord {
  return {
    ...existing,
    name: prefix.name,
    project: prefix.project,
    description: description.description ?? existing?.description ?? null,
    tags: [...(description.tags ?? existing?.tags ?? [])],
    bindrs: [...(description.bindrs ?? existing?.bindrs ?? [])],
    prefix: prefix.prefix,
    metadata: description.metadata ?? existing?.metadata ?? null,
    created_at: existing?.created_at ?? now,
    ...(existing ? { updated_at: now } : {}),
    write_protected: existing?.write_protected ?? false,
  };
}
