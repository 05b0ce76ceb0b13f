import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { availableParallelism, hostname } from "node:os";
import { InvalidExecutorError, TaskCannotStartError } from "../../errors.js";
import { Listeners } from "../../util/listeners.js";
import type {
  Executor,
  ExecutorConfig,
  ExecutorJobStatus,
  JobRef,
  JobSubmission,
  LogLine,
  LogOptions,
} from "../executor.js";
import { clearOutcome, endedStatus, followJobLogs, prepareJobDir, readJobOutcome } from "../job-files.js";
import { wrapperShell, writeLocalWrapper } from "./local-wrapper.js";
import { isProcessAlive, killProcessGroup, processStartTicks } from "../../util/process-probe.js";

export interface LocalExecutorOptions {
  /** Jobs of this executor running at once; default: the number of CPUs. */
  readonly maxParallel?: number;
  /** Environment variables added to every job. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long a cancelled job gets between SIGTERM and SIGKILL. */
  readonly cancelGraceMs?: number;
}

/**
 * Runs each job as a child process in its own process group and session, under a POSIX sh wrapper that
 * records its exit code, so jobs outlive the driver and a re-attached driver can find out what happened.
 *
 * @example
 * new Experiment("sweep", { executor: new LocalExecutor({ maxParallel: 4, env: { OMP_NUM_THREADS: "1" } }) });
 */
export class LocalExecutor implements Executor {
  readonly kind = "local";
  readonly survivesDriver = true;
  readonly handleInJobDir = true;
  readonly options: Readonly<Required<LocalExecutorOptions>>;
  readonly #children = new Map<string, ChildProcess>();
  readonly #listeners = new Listeners();

  constructor(options: LocalExecutorOptions = {}) {
    const maxParallel = options.maxParallel ?? availableParallelism();
    if (!Number.isInteger(maxParallel) || maxParallel < 1)
      throw new InvalidExecutorError(
        `LocalExecutor maxParallel must be a whole number ≥ 1, got ${maxParallel}.`,
      );
    this.options = Object.freeze({
      maxParallel,
      env: Object.freeze({ ...(options.env ?? {}) }),
      cancelGraceMs: options.cancelGraceMs ?? 5000,
    });
  }

  get maxParallel(): number {
    return this.options.maxParallel;
  }

  toConfig(): ExecutorConfig {
    return { kind: this.kind, ...this.options, env: { ...this.options.env } };
  }

  with(changes: { readonly env?: Readonly<Record<string, string>> }): LocalExecutor {
    return new LocalExecutor({ ...this.options, env: { ...this.options.env, ...changes.env } });
  }

  async submit(job: JobSubmission): Promise<string> {
    prepareJobDir(job);
    clearOutcome(job.jobDir);
    const wrapper = writeLocalWrapper({
      ...job,
      spec: { ...job.spec, env: { ...this.options.env, ...job.spec.env } },
    });
    const child = spawn(wrapperShell, [wrapper], { detached: true, stdio: "ignore", cwd: job.jobDir });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("spawn", () => resolve(child.pid!));
      child.once("error", (error) =>
        reject(
          new TaskCannotStartError(
            `Job ${job.jobName} could not start: ${error.message}`,
            `Check that ${wrapperShell} exists.`,
          ),
        ),
      );
    });
    child.unref();
    this.#children.set(job.jobDir, child);
    child.once("exit", () => {
      this.#children.delete(job.jobDir);
      this.#listeners.emit();
    });
    return `local:${hostname()}:${pid}:${processStartTicks(pid) ?? ""}`;
  }

  async status(jobs: readonly JobRef[]): Promise<ExecutorJobStatus[]> {
    return jobs.map((job) => this.#statusOf(job));
  }

  #statusOf(job: JobRef): ExecutorJobStatus {
    const outcome = readJobOutcome(job.jobDir);
    const ended = endedStatus(outcome);
    if (ended) return ended;
    const handle = parseHandle(job.handle);
    if (handle && handle.host !== hostname())
      return { state: "RUNNING", reason: `runs on ${handle.host}; its state is known there` };
    const pid = handle?.pid ?? outcome.pid;
    if (pid === undefined)
      return this.#children.has(job.jobDir)
        ? { state: "PENDING" }
        : { state: "LOST", reason: "the job was never started", neverStarted: true };
    if (this.#children.has(job.jobDir) || isProcessAlive(pid, handle?.startTicks))
      return { state: "RUNNING", ...(outcome.startedAt ? { startedAt: outcome.startedAt } : {}) };
    // The process is gone: look again, it may have written its exit code between the two reads.
    const late = endedStatus(readJobOutcome(job.jobDir));
    if (late) return late;
    return {
      state: "LOST",
      reason: `process ${pid} ended without recording an exit code (killed with SIGKILL, or the machine restarted)`,
    };
  }

  async cancel(job: JobRef): Promise<void> {
    const handle = parseHandle(job.handle);
    const pid = handle?.pid ?? readJobOutcome(job.jobDir).pid;
    if (pid === undefined) return;
    if (handle && !isProcessAlive(pid, handle.startTicks)) return;
    await killProcessGroup(pid, this.options.cancelGraceMs);
  }

  logs(job: JobRef, options: LogOptions = {}): AsyncIterable<LogLine> {
    return followJobLogs(job.jobDir, {
      ...options,
      isDone: () => {
        const state = this.#statusOf(job).state;
        return state !== "RUNNING" && state !== "PENDING";
      },
    });
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }
}

interface LocalHandle {
  readonly host: string;
  readonly pid: number;
  readonly startTicks?: string;
}

function parseHandle(handle: string | undefined): LocalHandle | undefined {
  const match = handle?.match(/^local:(.*):(\d+):(\d*)$/);
  if (!match) return undefined;
  return { host: match[1]!, pid: Number(match[2]), ...(match[3] ? { startTicks: match[3] } : {}) };
}
