import type { JsonValue } from "../format/json-codec.js";
import { deriveStatus, type ReportedStatus, type RunError, type RunRecord } from "../format/run-record.js";

/** What a reader knows about a run: its experiment.json, with the status derived (a dead writer is FAILED). */
export interface RunInfo {
  readonly dir: string;
  readonly prefix: string;
  readonly owner: string;
  readonly project: string;
  readonly name: string;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly bindrs: readonly string[];
  readonly metadata: Readonly<Record<string, JsonValue>> | null;
  readonly createdAt: string | null;
  /** The status to show: the recorded one, FAILED for a RUNNING run whose writer died, UNKNOWN for none. */
  readonly status: ReportedStatus;
  /** The status written in experiment.json. */
  readonly recordedStatus: ReportedStatus;
  /** True when the run is recorded RUNNING but its process is gone (or its heartbeat stopped). */
  readonly died: boolean;
  readonly statusReason: string | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly heartbeatAt: string | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly error: RunError | null;
  /** Failed writes of the run's files (a full disk), each retried; 0 when none. */
  readonly writeErrors: number;
  /** Records that could not be written and were dropped; a run that lost records does not end COMPLETED. */
  readonly lostRecords: number;
  readonly lastWriteError: { readonly code: string; readonly message: string; readonly at: string } | null;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v) => typeof v === "string") : [];
const stringOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function toRunInfo(dir: string, record: RunRecord, now = Date.now()): RunInfo {
  const prefix = typeof record.prefix === "string" ? record.prefix.replace(/^\/+|\/+$/g, "") : "";
  const segments = prefix.split("/");
  const derived = deriveStatus(record, now);
  return {
    dir,
    prefix,
    owner: segments[0] ?? "",
    project: stringOrNull(record.project) ?? segments[1] ?? "",
    name: stringOrNull(record.name) ?? segments[segments.length - 1] ?? "",
    description: stringOrNull(record.description),
    tags: strings(record.tags),
    bindrs: strings(record.bindrs),
    metadata:
      typeof record.metadata === "object" && record.metadata !== null
        ? (record.metadata as Record<string, JsonValue>)
        : null,
    createdAt: stringOrNull(record.created_at),
    status: derived.status,
    recordedStatus: derived.recordedStatus,
    died: derived.died,
    statusReason: derived.reason,
    startedAt: stringOrNull(record.startedAt),
    endedAt: stringOrNull(record.endedAt),
    heartbeatAt: stringOrNull(record.heartbeatAt),
    host: stringOrNull(record.host),
    pid: typeof record.pid === "number" ? record.pid : null,
    error: typeof record.error === "object" && record.error !== null ? record.error : null,
    writeErrors: typeof record.writeErrors === "number" ? record.writeErrors : 0,
    lostRecords: typeof record.lostRecords === "number" ? record.lostRecords : 0,
    lastWriteError:
      typeof record.lastWriteError === "object" && record.lastWriteError !== null
        ? record.lastWriteError
        : null,
  };
}
