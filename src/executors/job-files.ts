import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { readTextIfExists, writeFileAtomic } from "../util/atomic-file.js";
import { followLines } from "../workspace/log-follower.js";
import type { ExecutorJobStatus, JobSubmission, LogLine, LogOptions } from "./executor.js";

/**
 * The files a job's wrapper writes into its job directory, read back by every executor. They are the
 * final word on a job's outcome: the wrapper writes them itself, so they survive a dead driver.
 *   started    "<pid> <epoch seconds>"   written when the wrapper starts ("<pid>" alone: the file's
 *                                        modification time is the start, as the local executor's sh wrapper writes it)
 *   ended_at   "<epoch seconds>"         written when the command ends (absent: exit_code's modification time)
 *   exit_code  "<code>"                  written last; its presence means the job has ended
 */
export const jobFile = {
  started: "started",
  endedAt: "ended_at",
  exitCode: "exit_code",
  stdout: "stdout.log",
  stderr: "stderr.log",
  launch: "launch.sh",
} as const;

export interface JobOutcome {
  readonly pid?: number;
  readonly startedAt?: string;
  readonly exitCode?: number;
  readonly endedAt?: string;
}

export function readJobOutcome(jobDir: string): JobOutcome {
  // Polled for every active job on every scheduler pass: stat before reading, as a missing file (the usual
  // case while a job runs) costs a thrown exception otherwise; the stat also gives the file's time.
  const read = (name: string) => {
    const file = join(jobDir, name);
    const stats = statSync(file, { throwIfNoEntry: false });
    const text = stats ? readTextIfExists(file)?.trim() : undefined;
    return text === undefined ? undefined : { text, mtimeMs: stats!.mtimeMs };
  };
  const exit = read(jobFile.exitCode);
  const exitText = exit?.text;
  const startedFile = read(jobFile.started);
  const started = startedFile?.text.split(/\s+/);
  const endedFile = exitText ? read(jobFile.endedAt) : undefined;
  const pid = started?.[0] ? Number(started[0]) : undefined;
  // "<pid>" alone: the wrapper (POSIX sh, no clock of its own) left the time to the file system.
  const startedAt = started?.[1]
    ? epochToIso(started[1])
    : started?.length === 1 && pid !== undefined && Number.isInteger(pid)
      ? msToIso(startedFile!.mtimeMs)
      : undefined;
  const endedAt = endedFile ? epochToIso(endedFile.text) : exitText ? msToIso(exit!.mtimeMs) : undefined;
  const exitCode = exitText ? Number(exitText) : undefined;
  return {
    ...(pid !== undefined && Number.isInteger(pid) ? { pid } : {}),
    ...(startedAt ? { startedAt } : {}),
    // An empty exit_code is a write in progress: the job has not finished being recorded yet. A damaged
    // one still says the job ended, with a code nobody knows: it counts as a failure (exit code -1).
    ...(exitCode !== undefined ? { exitCode: Number.isInteger(exitCode) ? exitCode : -1 } : {}),
    ...(endedAt ? { endedAt } : {}),
  };
}

/** Status from the exit code alone, or undefined while the job has not ended. */
export function endedStatus(outcome: JobOutcome): ExecutorJobStatus | undefined {
  if (outcome.exitCode === undefined) return undefined;
  const code = outcome.exitCode;
  return {
    state: code === 0 ? "COMPLETED" : "FAILED",
    exitCode: code,
    ...(outcome.startedAt ? { startedAt: outcome.startedAt } : {}),
    ...(outcome.endedAt ? { endedAt: outcome.endedAt } : {}),
    ...(code === 0 ? {} : { reason: exitReason(code) }),
  };
}

export function exitReason(code: number): string {
  if (code === 127) return "exit code 127 (command not found; see stderr.log)";
  if (code === 126) return "exit code 126 (command not executable)";
  if (code > 128 && code < 160) return `killed by signal ${code - 128} (exit code ${code})`;
  return `exit code ${code}`;
}

/** The time of an epoch in seconds; undefined for a damaged one (a time nobody knows is not a crash). */
function epochToIso(epoch: string): string | undefined {
  return msToIso(Number(epoch) * 1000);
}

function msToIso(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

/** Writes start and end records for jobs run by the driver itself (the direct executor). */
export function recordStart(jobDir: string, pid: number): void {
  writeFileAtomic(join(jobDir, jobFile.started), `${pid} ${Date.now() / 1000}\n`);
}

export function recordEnd(jobDir: string, exitCode: number): void {
  writeFileAtomic(join(jobDir, jobFile.endedAt), `${Date.now() / 1000}\n`);
  writeFileAtomic(join(jobDir, jobFile.exitCode), `${exitCode}\n`);
}

/** Creates the job directory with the task's own files; old outcome files of a previous attempt are kept in logs only. */
export function prepareJobDir(job: JobSubmission): void {
  mkdirSync(job.jobDir, { recursive: true });
  for (const file of job.spec.files) writeFileAtomic(join(job.jobDir, file.name), file.content);
}

/** Bash-quotes one word. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The wrapper a Slurm job runs under (the local executor's is local/local-wrapper.ts). It records its pid, the
 * exit code and the end time in the job directory itself. It uses bash's $EPOCHREALTIME so that recording costs no extra process.
 */
export function wrapperScript(job: JobSubmission): string {
  const dir = shellQuote(job.jobDir);
  const env = { ...job.spec.env, ...job.labrunEnv };
  const exports = Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}`);
  return [
    "#!/bin/bash",
    `# labrun job wrapper for "${job.jobName}" (experiment ${job.experimentId}): runs the command and records`,
    "# its pid, exit code and end time here. Running it by hand overwrites this job's recorded outcome.",
    `JOB_DIR=${dir}`,
    `printf '%s %s\\n' "$$" "$EPOCHREALTIME" > "$JOB_DIR/started"`,
    // A trapped signal still reaches the command (same process group); the wrapper survives it to record the code.
    "trap ':' TERM INT HUP",
    ...exports,
    `cd -- ${shellQuote(job.spec.cwd)} 2>>"$JOB_DIR/stderr.log" || { printf '%s\\n' "$EPOCHREALTIME" > "$JOB_DIR/ended_at"; echo 1 > "$JOB_DIR/exit_code"; exit 1; }`,
    `${job.spec.argv.map(shellQuote).join(" ")} >>"$JOB_DIR/stdout.log" 2>>"$JOB_DIR/stderr.log" </dev/null`,
    "rc=$?",
    `printf '%s\\n' "$EPOCHREALTIME" > "$JOB_DIR/ended_at"`,
    `printf '%s\\n' "$rc" > "$JOB_DIR/exit_code"`,
    'exit "$rc"',
    "",
  ].join("\n");
}

/** Removes the outcome files of a previous attempt so a re-submitted job starts clean (its logs are kept). */
export function clearOutcome(jobDir: string): void {
  for (const name of [jobFile.exitCode, jobFile.endedAt, jobFile.started])
    rmSync(join(jobDir, name), { force: true });
}

/** A job's stdout.log and stderr.log lines; with `follow`, until `isDone()` says the job has ended. */
export function followJobLogs(
  jobDir: string,
  options: LogOptions & { readonly isDone: () => boolean },
): AsyncIterable<LogLine> {
  return followLines(
    [
      { file: join(jobDir, jobFile.stdout), stream: "stdout" as const },
      { file: join(jobDir, jobFile.stderr), stream: "stderr" as const },
    ],
    options,
  );
}
