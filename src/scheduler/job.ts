import { join } from "node:path";
import type { Task } from "../config/task.js";
import { taskFromConfig } from "../config/task-kinds.js";
import type { Executor } from "../executors/executor.js";
import { executorFromConfig } from "../executors/executor-kinds.js";
import { ExperimentStateError } from "../errors.js";
import { readJsonFile, writeJsonAtomic } from "../util/atomic-file.js";
import { isTerminal, jobRecordSchema } from "../workspace/job-record.js";
import type { JobRecord, JobState } from "../workspace/job-record.js";

export interface JobPlacement {
  readonly name: string;
  readonly index: number;
  readonly group?: string;
  /** Names of the jobs of this experiment it waits for. */
  readonly dependencies: readonly string[];
}

/**
 * One job of an experiment: its task, its executor and its record on disk. Every state change is a named
 * transition that checks the state it leaves and writes job.json before it returns, so whatever the
 * driver does next, a crash leaves a record that is at least as far along as reality.
 */
export class Job {
  readonly task: Task;
  readonly executor: Executor;
  readonly dir: string;
  /** Where the job sits in this experiment. A reused job's job.json is shared with other experiments. */
  readonly placement: JobPlacement;
  #record: JobRecord;
  #pendingSave: NodeJS.Timeout | undefined;

  constructor(record: JobRecord, dir: string, task?: Task, executor?: Executor, placement?: JobPlacement) {
    this.#record = record;
    this.dir = dir;
    this.task = task ?? taskFromConfig(record.task);
    this.executor = executor ?? executorFromConfig(record.executor);
    this.placement = Object.freeze(
      placement ?? {
        name: record.name,
        index: record.index,
        dependencies: [...record.dependencies],
        ...(record.group ? { group: record.group } : {}),
      },
    );
  }

  static fileIn(dir: string): string {
    return join(dir, "job.json");
  }

  /** Reads job.json; `executors` lets jobs with equal executor configs share one instance (and its limit). */
  static load(
    dir: string,
    executors: (config: JobRecord["executor"]) => Executor,
    placement?: JobPlacement,
  ): Job | undefined {
    const record = readJsonFile(Job.fileIn(dir), jobRecordSchema);
    return record && new Job(record, dir, undefined, executors(record.executor), placement);
  }

  get record(): Readonly<JobRecord> {
    return this.#record;
  }
  get name(): string {
    return this.placement.name;
  }
  get dependencies(): readonly string[] {
    return this.placement.dependencies;
  }
  get state(): JobState {
    return this.#record.state;
  }
  get isTerminal(): boolean {
    return isTerminal(this.#record.state);
  }

  /** Re-reads job.json, for readers in another process than the driver. */
  refresh(): void {
    const record = readJsonFile(Job.fileIn(this.dir), jobRecordSchema);
    if (record) this.#record = record;
  }

  save(): void {
    clearTimeout(this.#pendingSave);
    this.#pendingSave = undefined;
    writeJsonAtomic(Job.fileIn(this.dir), this.#record);
  }

  /**
   * WAITING is not written on its own: on disk it is PENDING with dependencies not yet COMPLETED (which
   * readers derive), and it reaches disk with the job's next change. Both mean "not submitted" to recovery.
   */
  markWaiting(): void {
    this.#transition(["PENDING"], "WAITING", {}, false);
  }

  markSubmitted(): void {
    this.#transition(["PENDING", "WAITING"], "SUBMITTED", {
      submittedAt: now(),
      attempt: this.#record.attempt + 1,
      retryAt: undefined,
      handle: undefined,
      reason: undefined,
      exitCode: undefined,
      startedAt: undefined,
      endedAt: undefined,
    });
  }

  /**
   * Stores the executor's handle; also on a job cancelled while it was being submitted, so it can be stopped.
   * With `soon` (the executor finds the job from its files too), the write joins the job's next change, or
   * happens within 50 ms: a short job then costs one write less.
   */
  recordHandle(handle: string, options: { soon?: boolean } = {}): void {
    if (this.#record.state === "PENDING" || this.#record.state === "WAITING") return;
    this.#record = { ...this.#record, handle };
    if (!options.soon) this.save();
    else this.#pendingSave ??= setTimeout(() => this.save(), 50).unref();
  }

  markRunning(startedAt?: string): void {
    this.#transition(["SUBMITTED"], "RUNNING", { startedAt: startedAt ?? now(), reason: undefined });
  }

  /** Why a submitted job has not started yet, as its backend says (Slurm's "PENDING (Resources)"). */
  noteQueued(reason: string | undefined): void {
    this.#transition(["SUBMITTED"], "SUBMITTED", { reason });
  }

  /**
   * The start time given here (the job's own record, read once it has ended) wins over the one noted when the
   * job was seen running: that one may be the backend's, to the second (Slurm's, before the wrapper wrote it).
   */
  markCompleted(exitCode: number, endedAt?: string, startedAt?: string): void {
    this.#transition(["SUBMITTED", "RUNNING"], "COMPLETED", {
      exitCode,
      endedAt: endedAt ?? now(),
      startedAt: startedAt ?? this.#record.startedAt,
    });
  }

  markFailed(
    reason: string,
    details: { exitCode?: number; endedAt?: string; startedAt?: string } = {},
  ): void {
    this.#transition(["PENDING", "WAITING", "SUBMITTED", "RUNNING"], "FAILED", {
      reason,
      exitCode: details.exitCode,
      endedAt: details.endedAt ?? now(),
      startedAt: details.startedAt ?? this.#record.startedAt,
    });
  }

  /** Waiting for something other than its dependencies (a token): kept on disk so other processes see why. */
  markWaitingFor(reason: string): void {
    this.#transition(["PENDING", "WAITING"], "WAITING", { reason });
  }

  /** True when a failed attempt still has retries left. */
  get canRetry(): boolean {
    return this.#record.attempt <= (this.#record.retries ?? 0);
  }

  /** A failed attempt that will be submitted again after a backoff: back to PENDING until `retryAt`. */
  markRetrying(failure: string): void {
    const base = this.#record.retryDelayMs ?? 1000;
    const delay = Math.min(base * 2 ** (this.#record.attempt - 1), 300_000);
    this.#transition(["SUBMITTED", "RUNNING"], "PENDING", {
      reason: `attempt ${this.#record.attempt} failed (${failure}); retrying in ${formatSeconds(delay)}`,
      retryAt: new Date(Date.now() + delay).toISOString(),
      handle: undefined,
      exitCode: undefined,
    });
  }

  /** True while a job waiting to be retried must not be submitted yet. */
  get backingOff(): boolean {
    return this.#record.retryAt !== undefined && Date.parse(this.#record.retryAt) > Date.now();
  }

  /** `persist: false` for a job another experiment runs: this experiment stops waiting for it, nothing more. */
  markCancelled(reason: string, persist = true): void {
    this.#transition(
      ["PENDING", "WAITING", "SUBMITTED", "RUNNING"],
      "CANCELLED",
      { reason, endedAt: now() },
      persist,
    );
  }

  /** A reusable job that failed (here or in another experiment) is run again when a new experiment needs it. */
  markPendingAgain(): void {
    this.#transition(["FAILED", "CANCELLED"], "PENDING", {
      reason: undefined,
      handle: undefined,
      exitCode: undefined,
      startedAt: undefined,
      endedAt: undefined,
      submittedAt: undefined,
      retryAt: undefined,
    });
  }

  /** A SUBMITTED job that never started (the driver died before the spawn): submit it again. */
  markNeverStarted(): void {
    this.#transition(["SUBMITTED"], "PENDING", { handle: undefined, submittedAt: undefined });
  }

  #transition(from: readonly JobState[], to: JobState, patch: Partial<JobRecord>, persist = true): void {
    if (!from.includes(this.#record.state))
      throw new ExperimentStateError(`Job "${this.name}" cannot go from ${this.#record.state} to ${to}.`);
    const next = { ...this.#record, ...patch, state: to };
    for (const key of Object.keys(next) as (keyof JobRecord)[]) if (next[key] === undefined) delete next[key];
    this.#record = next;
    if (persist) this.save();
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function now(): string {
  return new Date().toISOString();
}
