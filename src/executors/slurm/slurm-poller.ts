import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ExecutorJobStatus, JobRef } from "../executor.js";
import { endedStatus, exitReason, jobFile, readJobOutcome } from "../job-files.js";
import type { JobOutcome } from "../job-files.js";
import { quote } from "../tunnel/process-run.js";
import type { Tunnel } from "../tunnel/tunnel.js";
import { baseId, combineStatus, isActiveSlurmState, sacct, scontrolShow, squeue } from "./slurm-status.js";
import type { SqueueResult } from "./slurm-status.js";

const minIntervalMs = 200;
const maxIntervalMs = 2000;

/**
 * Answers `status` for many jobs with one squeue call, reused for a short, adaptive interval (shorter while
 * jobs change, longer while they just run); `scontrol show job` and `sacct` only for jobs squeue has
 * forgotten, and the job's own exit_code file as the final word on how it ended.
 */
export class SlurmPoller {
  readonly #tunnel: Tunnel;
  readonly #resumeOnTimeout: number;
  #snapshot: { at: number; ids: ReadonlySet<string>; result: SqueueResult; signature: string } | undefined;
  #remote: { at: number; outcomes: Map<string, JobOutcome> } | undefined;
  #pending: { handles: Set<string>; result: Promise<SqueueResult> } | undefined;
  #intervalMs = minIntervalMs;
  /** Slurm commands run so far (squeue, scontrol, sacct), for benchmarks and tests. */
  commands = 0;

  constructor(tunnel: Tunnel, resumeOnTimeout = 0) {
    this.#tunnel = tunnel;
    this.#resumeOnTimeout = resumeOnTimeout;
  }

  /** Forgets the cached squeue answer (after a submission or a cancel, the next look must be fresh). */
  invalidate(): void {
    this.#snapshot = undefined;
    this.#remote = undefined;
  }

  /**
   * squeue for these jobs: the cached answer while it is recent and covers them; else one call, shared by every
   * request made in the same turn of the event loop (a status table asks job by job, all at once).
   */
  async squeue(handles: readonly string[]): Promise<SqueueResult> {
    const ids = handles.map(baseId);
    const snapshot = this.#snapshot;
    if (snapshot && Date.now() - snapshot.at < this.#intervalMs && ids.every((id) => snapshot.ids.has(id)))
      return snapshot.result;
    if (!this.#pending) {
      const pending = {
        handles: new Set<string>(),
        result: Promise.resolve<SqueueResult>({ ok: true, rows: new Map() }),
      };
      pending.result = new Promise((resolve) => setImmediate(resolve)).then(() => {
        this.#pending = undefined;
        return this.#query([...pending.handles]);
      });
      this.#pending = pending;
    }
    for (const handle of handles) this.#pending.handles.add(handle);
    return this.#pending.result;
  }

  async #query(handles: readonly string[]): Promise<SqueueResult> {
    const ids = handles.map(baseId);
    const snapshot = this.#snapshot;
    this.commands++;
    const result = await squeue(this.#tunnel, handles);
    const signature = result.ok
      ? [...result.rows.values()].map((row) => `${row.id}:${row.state}`).join(",")
      : "";
    this.#intervalMs =
      snapshot && snapshot.signature === signature
        ? Math.min(this.#intervalMs * 2, maxIntervalMs)
        : minIntervalMs;
    this.#snapshot = { at: Date.now(), ids: new Set(ids), result, signature };
    return result;
  }

  async status(jobs: readonly JobRef[]): Promise<ExecutorJobStatus[]> {
    const handles = jobs.flatMap((job) => (job.handle ? [job.handle] : []));
    const [early, queue] = await Promise.all([this.#outcomes(jobs), this.squeue(handles)]);
    // Read while squeue ran, a job's files can predate the end Slurm now reports: read them again, or a failed
    // job would be recorded without the exit code its wrapper wrote meanwhile.
    const outcomes = early.map((outcome, i) => {
      const job = jobs[i]!;
      if (outcome.exitCode !== undefined || !job.handle || !queue.ok || !this.#tunnel.sharedFilesystem)
        return outcome;
      const row = queue.rows.get(job.handle);
      return row && isActiveSlurmState(row.state) ? outcome : readJobOutcome(job.jobDir);
    });
    const statuses: (ExecutorJobStatus | undefined)[] = jobs.map((job, i) => {
      const outcome = outcomes[i]!;
      if (!job.handle)
        return (
          endedStatus(outcome) ?? {
            state: "LOST",
            reason: "the job was never submitted to Slurm",
            neverStarted: true,
          }
        );
      if (!queue.ok) {
        const ended = endedStatus(outcome);
        if (ended?.state === "COMPLETED") return ended;
        // Not an answer: nothing is marked failed on a controller that did not reply.
        return { state: "PENDING", reason: `UNKNOWN: Slurm did not answer (${queue.error}); asking again` };
      }
      const row = queue.rows.get(job.handle);
      return row ? combineStatus(row, outcome) : undefined;
    });
    const missing = jobs.flatMap((job, i) => (statuses[i] === undefined ? [i] : []));
    if (missing.length > 0) await this.#fillForgotten(jobs, outcomes, statuses, missing);
    if (this.#resumeOnTimeout > 0)
      for (const [i, job] of jobs.entries())
        if (statuses[i]?.reason?.startsWith("TIMEOUT:")) statuses[i] = await this.#resume(job, statuses[i]!);
    await this.#bringBack(jobs, statuses);
    return statuses as ExecutorJobStatus[];
  }

  /**
   * A job killed at its time limit, requeued while it has resumes left (Slurm counts them: `Restarts`). Its
   * logs of the attempt are kept as `stdout.resume-<n>.log`; the job finds the count in LABRUN_RESUME_COUNT.
   */
  async #resume(job: JobRef, timedOut: ExecutorJobStatus): Promise<ExecutorJobStatus> {
    const id = job.handle!;
    const dir = quote(this.#tunnel.remoteJobDir(job.jobDir));
    const result = await this.#tunnel.exec(
      [
        `restarts=$(scontrol show job -o ${id} | grep -o 'Restarts=[0-9]*' | cut -d= -f2)`,
        `[ "\${restarts:-0}" -lt ${this.#resumeOnTimeout} ] || exit 3`,
        `scontrol requeue ${id} || exit 4`,
        `for f in stdout stderr; do [ -f ${dir}/$f.log ] && mv ${dir}/$f.log ${dir}/$f.resume-\${restarts:-0}.log; done`,
        `rm -f ${dir}/exit_code ${dir}/ended_at ${dir}/started`,
        // Slurm delays a requeued job's start by default; a resumed job should go on at once.
        `scontrol update jobid=${id} StartTime=now`,
        `echo "\${restarts:-0}"`,
      ].join("\n"),
    );
    this.commands++;
    this.invalidate();
    if (result.code === 3) return { ...timedOut, reason: `${timedOut.reason} (no resume left)` };
    if (result.code !== 0)
      return { ...timedOut, reason: `${timedOut.reason} (could not requeue: ${result.stderr.trim()})` };
    const done = Number(result.stdout.trim()) + 1;
    return {
      state: "RUNNING",
      reason: `requeued after TIMEOUT (resume ${done} of ${this.#resumeOnTimeout})`,
    };
  }

  /** Jobs squeue no longer lists: scontrol (finished jobs, for MinJobAge), then sacct, then the exit file. */
  async #fillForgotten(
    jobs: readonly JobRef[],
    outcomes: readonly JobOutcome[],
    statuses: (ExecutorJobStatus | undefined)[],
    missing: readonly number[],
  ): Promise<void> {
    this.commands += missing.length; // one scontrol per job, in one script
    const rows = await scontrolShow(
      this.#tunnel,
      missing.map((i) => jobs[i]!.handle!),
    );
    const stillMissing = missing.map((i) => jobs[i]!.handle!).filter((handle) => !rows.has(handle));
    if (stillMissing.length > 0) {
      this.commands++;
      for (const [id, row] of await sacct(this.#tunnel, stillMissing)) rows.set(id, row);
    }
    for (const i of missing) {
      const handle = jobs[i]!.handle!;
      const row = rows.get(handle);
      statuses[i] = row
        ? combineStatus(row, outcomes[i]!)
        : (endedStatus(outcomes[i]!) ?? {
            state: "LOST",
            reason: `Slurm no longer knows job ${handle} (not in squeue, scontrol or sacct) and it recorded no exit code`,
          });
    }
  }

  /** The wrapper's files of each job: here on a shared filesystem (or once brought back), else read over the tunnel. */
  async #outcomes(jobs: readonly JobRef[]): Promise<JobOutcome[]> {
    const local = (job: JobRef) =>
      this.#tunnel.sharedFilesystem || existsSync(join(job.jobDir, jobFile.exitCode));
    const remoteJobs = jobs.filter((job) => !local(job));
    const cached = this.#remote;
    const fresh =
      cached &&
      Date.now() - cached.at < this.#intervalMs &&
      remoteJobs.every((job) => cached.outcomes.has(job.jobDir));
    if (!fresh && remoteJobs.length > 0) {
      const names = [jobFile.started, jobFile.endedAt, jobFile.exitCode];
      const files = remoteJobs.flatMap((job) =>
        names.map((name) => ({ path: `${this.#tunnel.remoteJobDir(job.jobDir)}/${name}`, offset: 0 })),
      );
      const contents = await this.#tunnel.readFrom(files);
      const outcomes = new Map<string, JobOutcome>();
      remoteJobs.forEach((job, k) => {
        const [started, ended, exit] = [0, 1, 2].map((n) => contents[k * 3 + n]?.toString("utf8").trim());
        outcomes.set(job.jobDir, parseOutcome(started, ended, exit));
      });
      this.#remote = { at: Date.now(), outcomes };
    }
    return jobs.map((job) =>
      local(job) ? readJobOutcome(job.jobDir) : this.#remote!.outcomes.get(job.jobDir)!,
    );
  }

  /** Copies the job directories of jobs that ended on a remote cluster back here (logs, exit code, run). */
  async #bringBack(jobs: readonly JobRef[], statuses: (ExecutorJobStatus | undefined)[]): Promise<void> {
    if (this.#tunnel.sharedFilesystem) return;
    for (const [i, job] of jobs.entries()) {
      const status = statuses[i];
      if (status?.state !== "COMPLETED" && status?.state !== "FAILED") continue;
      if (existsSync(join(job.jobDir, jobFile.exitCode))) continue;
      await this.bringBack(job);
      statuses[i] = this.#settled(job, status);
    }
  }

  /** A remote job's status completed with its files once brought back (read earlier, they may have lagged). */
  #settled(job: JobRef, status: ExecutorJobStatus): ExecutorJobStatus {
    if (status.exitCode !== undefined) return status;
    const outcome = readJobOutcome(job.jobDir);
    if (outcome.exitCode === undefined) return status;
    return {
      ...status,
      exitCode: outcome.exitCode,
      ...(outcome.startedAt ? { startedAt: outcome.startedAt } : {}),
      ...(outcome.endedAt ? { endedAt: outcome.endedAt } : {}),
      // Slurm's plain FAILED said nothing the exit code does not say better.
      ...(status.state === "FAILED" && status.reason?.startsWith("FAILED")
        ? { reason: exitReason(outcome.exitCode) }
        : {}),
    };
  }

  async bringBack(job: JobRef): Promise<void> {
    if (this.#tunnel.sharedFilesystem) return;
    await this.#tunnel
      .getDirectory(this.#tunnel.remoteJobDir(job.jobDir), job.jobDir, {
        exclude: ["./job.json", "./job.lock"],
      })
      .catch(() => undefined);
  }
}

function parseOutcome(started?: string, ended?: string, exit?: string): JobOutcome {
  const [pid, startEpoch] = started?.split(/\s+/) ?? [];
  const iso = (epoch: string | undefined) =>
    epoch ? new Date(Number(epoch) * 1000).toISOString() : undefined;
  const startedAt = iso(startEpoch);
  const endedAt = exit ? iso(ended) : undefined;
  return {
    ...(pid && /^\d+$/.test(pid) ? { pid: Number(pid) } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(exit ? { exitCode: Number(exit) } : {}),
    ...(endedAt ? { endedAt } : {}),
  };
}
