import type { ExecutorJobStatus } from "../executor.js";
import { endedStatus, exitReason } from "../job-files.js";
import type { JobOutcome } from "../job-files.js";
import { quote } from "../tunnel/process-run.js";
import type { Tunnel } from "../tunnel/tunnel.js";

/** What Slurm says about one job (or one array element, id `<array id>_<index>`). */
export interface SlurmRow {
  readonly id: string;
  readonly state: string;
  readonly reason?: string;
  readonly start?: string;
  readonly end?: string;
  readonly exitCode?: number;
}

export type SqueueResult =
  | { readonly ok: true; readonly rows: ReadonlyMap<string, SlurmRow> }
  | { readonly ok: false; readonly error: string };

const squeueFormat = "%i|%T|%r|%S|%e";

/** The array or job id a handle belongs to (`123_4` → `123`): what squeue's `-j` takes. */
export function baseId(handle: string): string {
  return handle.split("_")[0]!;
}

/** One squeue call for every job and array element of `handles` (finished ones too, while Slurm keeps them). */
export async function squeue(tunnel: Tunnel, handles: readonly string[]): Promise<SqueueResult> {
  const ids = [...new Set(handles.map(baseId))];
  if (ids.length === 0) return { ok: true, rows: new Map() };
  const result = await tunnel.exec(`squeue -h -r -t all -j ${ids.join(",")} -o ${quote(squeueFormat)}`);
  // Every id unknown (purged) makes squeue exit 1 with this message: an answer, not an outage.
  if (result.code !== 0 && !/Invalid job id/i.test(result.stderr))
    return { ok: false, error: result.stderr.trim() || `squeue exited with code ${result.code}` };
  const rows = new Map<string, SlurmRow>();
  for (const line of result.stdout.split("\n")) {
    const [id, state, reason, start, end] = line.trim().split("|");
    if (!id || !state) continue;
    rows.set(id, { id, state, ...known("reason", reason), ...time("start", start), ...time("end", end) });
  }
  return { ok: true, rows };
}

/**
 * `scontrol show job` for jobs squeue no longer lists (it keeps finished jobs for MinJobAge): one command run
 * per job, all in one script (one round trip over SSH).
 */
export async function scontrolShow(
  tunnel: Tunnel,
  handles: readonly string[],
): Promise<Map<string, SlurmRow>> {
  const script = handles
    .map((handle) => `echo ${quote(`@@${handle}`)}; scontrol show job -o ${quote(handle)} 2>/dev/null`)
    .join("\n");
  const result = await tunnel.exec(`${script}\ntrue`);
  const rows = new Map<string, SlurmRow>();
  let handle: string | undefined;
  for (const line of result.stdout.split("\n")) {
    if (line.startsWith("@@")) {
      handle = line.slice(2).trim();
      continue;
    }
    if (!handle || !line.includes("JobState=")) continue;
    const row = parseScontrol(handle, line);
    if (row) rows.set(handle, row);
  }
  return rows;
}

function parseScontrol(handle: string, line: string): SlurmRow | undefined {
  const fields = new Map(
    line
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)] as const),
  );
  const state = fields.get("JobState");
  if (!state) return undefined;
  const exit = fields.get("ExitCode")?.split(":")[0];
  return {
    id: handle,
    state,
    ...known("reason", fields.get("Reason")),
    ...time("start", fields.get("StartTime")),
    ...time("end", fields.get("EndTime")),
    ...(exit !== undefined && /^\d+$/.test(exit) ? { exitCode: Number(exit) } : {}),
  };
}

/**
 * The accounting database when there is one, else the job-completion log (`sacct -c`): the last record of
 * each job (a requeued job has one per attempt).
 */
export async function sacct(tunnel: Tunnel, handles: readonly string[]): Promise<Map<string, SlurmRow>> {
  const ids = handles.join(",");
  const fields = "-n -P -o JobID,State,ExitCode,Start,End";
  const result = await tunnel.exec(
    `sacct -X ${fields} -j ${ids} 2>/dev/null || sacct -c ${fields.toLowerCase()} -j ${ids} 2>/dev/null`,
  );
  const rows = new Map<string, SlurmRow>();
  for (const line of result.stdout.split("\n")) {
    const [id, state, exit, start, end] = line.trim().split("|");
    if (!id || !state || !handles.includes(id)) continue;
    const code = exit?.split(":")[0];
    rows.set(id, {
      id,
      state: state.split(" ")[0]!,
      ...time("start", start),
      ...time("end", end),
      ...(code && /^\d+$/.test(code) ? { exitCode: Number(code) } : {}),
    });
  }
  return rows;
}

const pendingStates = new Set(["PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD"]);
const runningStates = new Set([
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
  "RESIZING",
]);

const endReasons: Record<string, string> = {
  TIMEOUT: "TIMEOUT: Slurm killed the job at its time limit (raise `time`, or make the task resumable)",
  OUT_OF_MEMORY: "OUT_OF_MEMORY: the job used more memory than it asked for (raise `mem`)",
  NODE_FAIL: "NODE_FAIL: the node running the job failed",
  PREEMPTED: "PREEMPTED: Slurm stopped the job for a higher-priority one",
  BOOT_FAIL: "BOOT_FAIL: the node could not boot",
  DEADLINE: "DEADLINE: the job could not finish before its deadline",
  CANCELLED: "CANCELLED in Slurm (scancel from outside labrun, or an administrator)",
};

/** Why Slurm cancelled a job itself (`--kill-on-invalid-dep`): a job it depends on failed or was cancelled. */
const dependencyNeverSatisfied =
  "CANCELLED by Slurm: a job it depends on did not complete (DependencyNeverSatisfied)";

/** True while Slurm still has the job queued or running. */
export function isActiveSlurmState(state: string): boolean {
  return pendingStates.has(state) || runningStates.has(state);
}

/**
 * Slurm's word and the job's own files, combined: Slurm for queued and running jobs and for why a job was
 * killed, the exit_code file written by the job's wrapper for how it ended.
 */
export function combineStatus(row: SlurmRow, outcome: JobOutcome): ExecutorJobStatus {
  const ended = endedStatus(outcome);
  const times = {
    ...((outcome.startedAt ?? row.start) ? { startedAt: outcome.startedAt ?? row.start } : {}),
    ...((outcome.endedAt ?? row.end) ? { endedAt: outcome.endedAt ?? row.end } : {}),
  };
  if (pendingStates.has(row.state) || runningStates.has(row.state)) {
    // A success is final at once (its dependents may start); a failure waits for Slurm to say why (TIMEOUT…).
    if (ended?.state === "COMPLETED") return ended;
    if (pendingStates.has(row.state))
      return { state: "PENDING", reason: `${row.state}${row.reason ? ` (${row.reason})` : ""}` };
    return { state: "RUNNING", ...(times.startedAt ? { startedAt: times.startedAt } : {}) };
  }
  if (row.state === "COMPLETED")
    return ended ?? { state: "COMPLETED", exitCode: row.exitCode ?? 0, ...times };
  const exitCode = ended?.exitCode ?? row.exitCode;
  const droppedByDependency = row.state === "CANCELLED" && row.reason === "DependencyNeverSatisfied";
  const why =
    (droppedByDependency ? dependencyNeverSatisfied : endReasons[row.state]) ??
    (exitCode !== undefined && exitCode !== 0
      ? exitReason(exitCode)
      : `${row.state}${row.reason ? ` (${row.reason})` : ""}`);
  return { state: "FAILED", ...(exitCode === undefined ? {} : { exitCode }), reason: why, ...times };
}

function known<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value && value !== "None" && value !== "(null)" ? ({ [key]: value } as { [P in K]?: string }) : {};
}

function time<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  if (!value || !/^\d{4}-\d\d-\d\dT/.test(value)) return {};
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? {} : ({ [key]: date.toISOString() } as { [P in K]?: string });
}
