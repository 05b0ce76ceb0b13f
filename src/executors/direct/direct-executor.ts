import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, createWriteStream, openSync, writeSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
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
import {
  clearOutcome,
  endedStatus,
  followJobLogs,
  jobFile,
  prepareJobDir,
  readJobOutcome,
  recordEnd,
  recordStart,
} from "../job-files.js";
import { killProcessGroup } from "../../util/process-probe.js";

export interface DirectExecutorOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** How long a cancelled Script gets between SIGTERM and SIGKILL. */
  readonly cancelGraceMs?: number;
}

/**
 * Runs jobs one at a time in the driver's own process (what `run({ direct: true })` uses): a task that can
 * run in-process (a `Partial`) is called there, a `Script` runs with its output shown on this terminal and
 * copied to the job's log files. Jobs end with the driver; nothing to re-attach to.
 */
export class DirectExecutor implements Executor {
  readonly kind = "direct";
  readonly maxParallel = 1;
  readonly survivesDriver = false;
  readonly options: Readonly<Required<DirectExecutorOptions>>;
  readonly #running = new Map<string, { child?: ChildProcess; done: Promise<void> }>();
  readonly #listeners = new Listeners();

  constructor(options: DirectExecutorOptions = {}) {
    this.options = Object.freeze({
      env: Object.freeze({ ...(options.env ?? {}) }),
      cancelGraceMs: options.cancelGraceMs ?? 5000,
    });
  }

  toConfig(): ExecutorConfig {
    return { kind: this.kind, ...this.options, env: { ...this.options.env } };
  }

  with(changes: { readonly env?: Readonly<Record<string, string>> }): DirectExecutor {
    return new DirectExecutor({ ...this.options, env: { ...this.options.env, ...changes.env } });
  }

  async submit(job: JobSubmission): Promise<string> {
    prepareJobDir(job);
    clearOutcome(job.jobDir);
    recordStart(job.jobDir, process.pid);
    const env = { ...this.options.env, ...job.spec.env, ...job.labrunEnv };
    const entry: { child?: ChildProcess; done: Promise<void> } = { done: Promise.resolve() };
    if (job.task.runInProcess) {
      entry.done = this.#runInProcess(job, env);
    } else {
      const child = spawn(job.spec.argv[0]!, job.spec.argv.slice(1), {
        cwd: job.spec.cwd,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      entry.child = child;
      entry.done = this.#watchChild(job, child);
    }
    this.#running.set(job.jobDir, entry);
    void entry.done.finally(() => {
      this.#running.delete(job.jobDir);
      this.#listeners.emit();
    });
    return `direct:${process.pid}`;
  }

  async #runInProcess(job: JobSubmission, env: Record<string, string>): Promise<void> {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const restoreOutput = teeProcessOutput(job.jobDir);
    let code = 0;
    try {
      await job.task.runInProcess!({ jobDir: job.jobDir, jobName: job.jobName });
    } catch (error) {
      code = 1;
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    } finally {
      restoreOutput();
      for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
      Object.assign(process.env, saved);
    }
    recordEnd(job.jobDir, code);
  }

  #watchChild(job: JobSubmission, child: ChildProcess): Promise<void> {
    const stdout = createWriteStream(join(job.jobDir, jobFile.stdout), { flags: "a" });
    const stderr = createWriteStream(join(job.jobDir, jobFile.stderr), { flags: "a" });
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout.write(chunk);
      process.stdout.write(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr.write(chunk);
      process.stderr.write(chunk);
    });
    return new Promise((resolve) => {
      const finish = (code: number) => {
        const closed = Promise.all([new Promise((r) => stdout.end(r)), new Promise((r) => stderr.end(r))]);
        void closed.then(() => {
          recordEnd(job.jobDir, code);
          resolve();
        });
      };
      child.once("error", (error) => {
        stderr.write(`${error.message}\n`);
        finish(127);
      });
      child.once("close", (code, signal) => finish(code ?? 128 + signalNumber(signal)));
    });
  }

  async status(jobs: readonly JobRef[]): Promise<ExecutorJobStatus[]> {
    return jobs.map((job) => {
      const outcome = readJobOutcome(job.jobDir);
      const ended = endedStatus(outcome);
      if (ended) return ended;
      if (this.#running.has(job.jobDir))
        return { state: "RUNNING", ...(outcome.startedAt ? { startedAt: outcome.startedAt } : {}) };
      return outcome.pid === undefined
        ? { state: "LOST", reason: "the job was never started", neverStarted: true }
        : { state: "LOST", reason: "the driver process that ran it directly has exited" };
    });
  }

  async cancel(job: JobRef): Promise<void> {
    const entry = this.#running.get(job.jobDir);
    if (entry?.child?.pid !== undefined) {
      await killProcessGroup(entry.child.pid, this.options.cancelGraceMs);
      await entry.done;
    }
    // A task running in this very process cannot be interrupted; it is marked cancelled and left to finish.
  }

  logs(job: JobRef, options: LogOptions = {}): AsyncIterable<LogLine> {
    return followJobLogs(job.jobDir, { ...options, isDone: () => !this.#running.has(job.jobDir) });
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}

/**
 * Copies what this process writes to stdout/stderr into the job's log files while an in-process task runs
 * (direct jobs run one at a time, so nothing else's output is mixed in). Returns the undo.
 */
function teeProcessOutput(jobDir: string): () => void {
  const streams = [
    [process.stdout, openSync(join(jobDir, jobFile.stdout), "a")],
    [process.stderr, openSync(join(jobDir, jobFile.stderr), "a")],
  ] as const;
  const originals = streams.map(([stream, fd]) => {
    const original = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]) {
      if (typeof chunk === "string") writeSync(fd, chunk);
      else writeSync(fd, chunk);
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    return original;
  });
  return () =>
    streams.forEach(([stream, fd], i) => {
      stream.write = originals[i]!;
      closeSync(fd);
    });
}
