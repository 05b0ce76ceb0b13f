import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { processStartTicks } from "../executors/local/process-probe.js";
import { RunBusyError, RunStateError } from "../errors.js";
import { isoNow } from "./clock.js";
import { encodeJson, type JsonValue } from "./json-codec.js";
import type { ParsedPrefix } from "./names.js";
import {
  errorRecord,
  ownerAlive,
  readRunRecord,
  writeRunRecord,
  type RunRecord,
  type RunStatus,
} from "./run-record.js";

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
    const existing = readRunRecord(this.#dir);
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
    const now = isoNow();
    const record = baseRunRecord(this.#prefix, description, existing, now);
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
    writeRunRecord(this.#dir, record);
    this.#record = record;
    this.#status = "RUNNING";
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
    this.#status = status;
    if (!this.#owner) return;
    const record = this.#record!;
    const now = isoNow();
    Object.assign(record, { status, statusReason: reason, endedAt: now, heartbeatAt: now, error });
    writeRunRecord(this.#dir, record);
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
