import { hostname } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "../util/process-probe.js";
import type { JsonValue } from "./json-codec.js";
import { readJsonObject, writeJsonObject } from "./json-file.js";

/** The statuses a run records. */
export const runStatuses = ["RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type RunStatus = (typeof runStatuses)[number];
/** What readers report: a recorded status, or UNKNOWN for a run with none (written by ML-Dash alone). */
export type ReportedStatus = RunStatus | "UNKNOWN";

export interface RunError {
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
  readonly stack: string | null;
}

/** `experiment.json`: ML-Dash's fields, then labrun's (docs/tracking-format.md). Unknown fields are kept. */
export interface RunRecord {
  name: string;
  project: string;
  description: string | null;
  tags: string[];
  bindrs: string[];
  prefix: string;
  metadata: { [key: string]: JsonValue } | null;
  created_at: string;
  updated_at?: string;
  write_protected: boolean;
  labrunFormat?: number;
  status?: RunStatus;
  statusReason?: string | null;
  startedAt?: string;
  endedAt?: string | null;
  heartbeatAt?: string;
  heartbeatIntervalSec?: number;
  host?: string;
  pid?: number;
  processStart?: string | null;
  error?: RunError | null;
  /** Failed writes of the run's files (a full disk); each was retried. */
  writeErrors?: number;
  /** Records that could not be written and were dropped (docs/tracking.md, "Disk full"). */
  lostRecords?: number;
  lastWriteError?: { code: string; message: string; at: string } | null;
  [extra: string]: unknown;
}

export const runRecordFile = "experiment.json";

/** experiment.json of a run folder; undefined when missing (or unreadable, unless `onCorrupt` throws). */
export function readRunRecord(
  dir: string,
  onCorrupt?: (problem: string) => Record<string, unknown> | undefined,
): RunRecord | undefined {
  const raw = readJsonObject(join(dir, runRecordFile), onCorrupt);
  return raw === undefined ? undefined : (raw as RunRecord);
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  writeJsonObject(join(dir, runRecordFile), record);
}

export function errorRecord(error: unknown): RunError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      code: typeof code === "string" ? code : null,
      stack: error.stack ?? null,
    };
  }
  return { name: "Error", message: String(error), code: null, stack: null };
}

/** How long a heartbeat stays fresh for a reader on another host. */
export function staleAfterMs(record: RunRecord): number {
  return Math.max(60_000, 4 * 1000 * (record.heartbeatIntervalSec ?? 15));
}

export interface DerivedStatus {
  readonly status: ReportedStatus;
  readonly recordedStatus: ReportedStatus;
  /** True when the record says RUNNING but its writer is gone. */
  readonly died: boolean;
  readonly reason: string | null;
}

/** True when the owner recorded in a RUNNING record still runs (same host: its pid; elsewhere: heartbeat). */
export function ownerAlive(record: RunRecord, now = Date.now()): boolean {
  if (record.host === hostname() && typeof record.pid === "number") {
    return isProcessAlive(record.pid, record.processStart ?? undefined);
  }
  const beat = record.heartbeatAt ? Date.parse(record.heartbeatAt) : NaN;
  return Number.isFinite(beat) && now - beat <= staleAfterMs(record);
}

/** The status a reader reports: a RUNNING run whose writer died is FAILED ("process died"). */
export function deriveStatus(record: RunRecord, now = Date.now()): DerivedStatus {
  const recorded: ReportedStatus = record.status ?? "UNKNOWN";
  if (recorded !== "RUNNING" || ownerAlive(record, now)) {
    return { status: recorded, recordedStatus: recorded, died: false, reason: record.statusReason ?? null };
  }
  const reason =
    record.host === hostname() ? "process died" : `no heartbeat since ${record.heartbeatAt ?? "the start"}`;
  return { status: "FAILED", recordedStatus: recorded, died: true, reason };
}
