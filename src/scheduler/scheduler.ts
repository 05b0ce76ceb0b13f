import type { Executor, ExecutorJobStatus, JobSubmission } from "../executors/executor.js";
import { LabrunError } from "../errors.js";
import type { Job } from "./job.js";
import type { TokenSlots } from "./token.js";
import { join } from "node:path";
import { ProcessLock } from "../workspace/process-lock.js";
import type { JobState } from "../workspace/job-record.js";
import { activeStates } from "../workspace/job-record.js";

export interface SchedulerOptions {
  /** Variables every job gets besides its own, keyed by job (LABRUN_JOB_DIR, …). */
  readonly labrunEnv: (job: Job) => Record<string, string>;
  readonly experimentId: string;
  /** Called after a job is marked SUBMITTED and before it is handed to its executor, with its LABRUN_* env. */
  readonly beforeSubmit?: (job: Job, labrunEnv: Readonly<Record<string, string>>) => void;
  /** Called after every state change has been written to disk. */
  readonly onTransition?: (job: Job, from: JobState) => void;
  /** Called once per loop; returns names of jobs to cancel (requests from other processes). */
  readonly takeCancelRequests?: () => { names: string[]; reason: string } | undefined;
  /** Where workspace-wide token units are taken; jobs that need tokens wait without it. */
  readonly tokens?: TokenSlots;
  /** Longest wait between two polls of the executors. */
  readonly maxPollMs?: number;
}

/**
 * Drives a set of jobs to their end: submits each when its dependencies have COMPLETED and its executor
 * has room, polls executors for what happened, and cancels the dependents of failed or cancelled jobs.
 * It keeps no state that is not in the jobs' records, so a new scheduler over reloaded jobs carries on.
 */
export class Scheduler {
  readonly #jobs: readonly Job[];
  readonly #byName: ReadonlyMap<string, Job>;
  readonly #options: SchedulerOptions;
  readonly #submitting = new Set<Job>();
  /** job.lock of each reusable job this driver runs (their directory is shared with other experiments). */
  readonly #jobLocks = new Map<Job, ProcessLock>();
  #wake: (() => void) | undefined;
  #stopped = false;
  /**
   * What keeps a pass linear in the jobs that move, not in all jobs (a 10,000-job graph makes thousands of
   * passes): the index of the first job not yet terminal (a job that ended stays ended while this runs), the
   * index of each job's first dependency not yet COMPLETED, and a count of jobs seen FAILED or CANCELLED (their
   * dependents are looked for only when it moved).
   */
  #firstLive = 0;
  readonly #firstOpenDependency = new Map<Job, number>();
  #brokenSeen = 0;
  #brokenScanned = -1;

  constructor(jobs: readonly Job[], options: SchedulerOptions) {
    this.#jobs = jobs;
    this.#byName = new Map(jobs.map((job) => [job.name, job]));
    this.#options = options;
  }

  /** Resolves when every job has reached COMPLETED, FAILED or CANCELLED, or `stop()` was called. */
  async run(): Promise<void> {
    const executors = new Set(this.#jobs.map((job) => job.executor));
    const unsubscribe = [...executors].map((executor) => executor.onChange(() => this.#wake?.()));
    let idleMs = 20;
    try {
      while (!this.#stopped) {
        // Let timers, signal handlers (Ctrl-C) and child reaping run: while every pass submits something, the
        // loop would otherwise go on through promise callbacks alone and starve the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        const before = this.#changeCount;
        this.#applyCancelRequests();
        await this.#reconcile();
        await this.#cancelDependentsOfFailures();
        this.#submitReady();
        if (this.#allTerminal() && this.#submitting.size === 0) break;
        // Poll often while things happen, less often while jobs just run (reconciling costs a read per job).
        idleMs = this.#changeCount > before ? 20 : Math.min(idleMs * 2, this.#options.maxPollMs ?? 1000);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idleMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    } finally {
      for (const off of unsubscribe) off();
      // Another process may take over (a supervisor after a second Ctrl-C, a resume): leave it the jobs.
      for (const lock of this.#jobLocks.values()) lock.release();
      this.#jobLocks.clear();
    }
  }

  /** One look at the executors: records jobs that ended or vanished and cancels their dependents; starts nothing. */
  async settle(): Promise<void> {
    await this.#reconcile();
    await this.#cancelDependentsOfFailures();
  }

  /** Ends `run()` at its next step without touching the jobs (they keep running). */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** Marks the jobs CANCELLED (on disk first), then stops what runs of them; dependents follow. */
  async cancel(names: readonly string[], reason: string): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const name of names) {
      const job = this.#byName.get(name);
      if (!job || job.isTerminal) continue;
      if (job.task.reusable && !this.#jobLocks.has(job) && this.#followedElsewhere(job)) {
        // Another experiment runs it: this one stops waiting for it; the job itself goes on.
        if (!job.isTerminal) this.#transition(job, () => job.markCancelled(reason, false));
        continue;
      }
      const wasSubmitted = activeStates.has(job.state) || this.#submitting.has(job);
      this.#transition(job, () => job.markCancelled(reason));
      if (wasSubmitted) stopping.push(this.#stopProcess(job));
    }
    await Promise.all(stopping);
    await this.#cancelDependentsOfFailures();
    this.#wake?.();
  }

  #changeCount = 0;

  #allTerminal(): boolean {
    while (this.#firstLive < this.#jobs.length && this.#jobs[this.#firstLive]!.isTerminal) this.#firstLive++;
    return this.#firstLive === this.#jobs.length && this.#jobs.every((job) => job.isTerminal);
  }

  /** The jobs from the first one not yet terminal, in add order (some that ended since: every caller skips them). */
  #live(): readonly Job[] {
    this.#allTerminal();
    return this.#firstLive === 0 ? this.#jobs : this.#jobs.slice(this.#firstLive);
  }

  #noteState(job: Job): void {
    if (job.state === "FAILED" || job.state === "CANCELLED") this.#brokenSeen++;
  }

  #transition(job: Job, change: () => void): void {
    const from = job.state;
    change();
    this.#noteState(job);
    // Units are held from submission to the end of an attempt (a retry takes them again).
    const needs = job.record.tokens;
    // A cancelled job gives its units back once its processes are gone (in cancel()), not before.
    if (needs?.length && activeStates.has(from) && !activeStates.has(job.state) && job.state !== "CANCELLED")
      this.#options.tokens?.release(needs, job.dir);
    if (job.isTerminal) this.#releaseJobLock(job);
    this.#changeCount++;
    this.#options.onTransition?.(job, from);
  }

  #releaseJobLock(job: Job): void {
    this.#jobLocks.get(job)?.release();
    this.#jobLocks.delete(job);
  }

  /**
   * A reusable job runs in one process at a time, the holder of its `job.lock`. Returns true when another
   * live process holds it: then this experiment only follows the job's record (re-read from disk).
   */
  #followedElsewhere(job: Job): boolean {
    if (!job.task.reusable || this.#jobLocks.has(job)) return false;
    const lock = new ProcessLock(join(job.dir, "job.lock"));
    const holder = lock.tryAcquire();
    if (!holder) {
      this.#jobLocks.set(job, lock);
      return false;
    }
    const from = job.state;
    job.refresh();
    if (job.state !== from) {
      this.#noteState(job);
      this.#changeCount++;
      this.#options.onTransition?.(job, from);
    }
    return true;
  }

  async #stopProcess(job: Job): Promise<void> {
    // A submission still in flight gets its handle first; cancelling without it would miss the process.
    while (this.#submitting.has(job)) await new Promise((resolve) => setTimeout(resolve, 10));
    await job.executor.cancel({ jobDir: job.dir, handle: job.record.handle });
    this.#releaseUnits(job);
  }

  /** Gives back the token units a cancelled job held, once nothing of it runs. */
  #releaseUnits(job: Job): void {
    if (job.record.tokens?.length) this.#options.tokens?.release(job.record.tokens, job.dir);
  }

  #applyCancelRequests(): void {
    const request = this.#options.takeCancelRequests?.();
    if (request) void this.cancel(request.names, request.reason);
  }

  async #reconcile(): Promise<void> {
    const byExecutor = new Map<Executor, Job[]>();
    const polled: Job[] = [];
    for (const job of this.#live()) {
      if (!activeStates.has(job.state) || this.#submitting.has(job)) continue;
      if (this.#followedElsewhere(job)) continue;
      polled.push(job);
      const list = byExecutor.get(job.executor) ?? [];
      list.push(job);
      byExecutor.set(job.executor, list);
    }
    const answers = new Map<Job, ExecutorJobStatus>();
    await Promise.all(
      [...byExecutor].map(async ([executor, jobs]) => {
        const statuses = await executor.status(
          jobs.map((job) => ({ jobDir: job.dir, handle: job.record.handle })),
        );
        jobs.forEach((job, i) => answers.set(job, statuses[i]!));
      }),
    );
    // In add order, dependencies first: a dependent that ended because its dependency failed (a backend that
    // holds jobs drops them itself) sees that failure already recorded.
    for (const job of polled) {
      const status = answers.get(job);
      if (status && !job.isTerminal) this.#apply(job, status); // terminal: cancelled while we were asking
    }
  }

  #apply(job: Job, status: ExecutorJobStatus): void {
    switch (status.state) {
      case "PENDING":
        // Queued in the backend (Slurm's "PENDING (Resources)"): readers see why it has not started.
        if (job.state === "SUBMITTED" && status.reason !== job.record.reason)
          this.#transition(job, () => job.noteQueued(status.reason));
        return;
      case "RUNNING":
        if (job.state === "SUBMITTED") this.#transition(job, () => job.markRunning(status.startedAt));
        return;
      case "COMPLETED":
        return this.#transition(job, () =>
          job.markCompleted(status.exitCode ?? 0, status.endedAt, status.startedAt),
        );
      case "FAILED":
      case "LOST": {
        const broken = this.#brokenDependency(job);
        if (broken) {
          // Its backend dropped it (Slurm's --kill-on-invalid-dep): nothing of it runs, its units go back now.
          this.#transition(job, () => job.markCancelled(broken));
          this.#releaseUnits(job);
          return;
        }
        if (status.state === "LOST" && status.neverStarted && job.state === "SUBMITTED")
          return this.#transition(job, () => job.markNeverStarted());
        return this.#fail(job, status.reason ?? status.state.toLowerCase(), {
          ...(status.exitCode === undefined ? {} : { exitCode: status.exitCode }),
          ...(status.endedAt ? { endedAt: status.endedAt } : {}),
          ...(status.startedAt ? { startedAt: status.startedAt } : {}),
        });
      }
    }
  }

  /** Why the job cannot run any more: `dependency "x" failed` when one of its dependencies failed or was cancelled. */
  #brokenDependency(job: Job): string | undefined {
    for (const name of job.dependencies) {
      const dependency = this.#byName.get(name)!;
      if (dependency.state === "FAILED" || dependency.state === "CANCELLED")
        return `dependency "${name}" ${dependency.state.toLowerCase()}`;
    }
    return undefined;
  }

  /** A failed attempt: retried after a backoff while the job has retries left, FAILED otherwise. */
  #fail(job: Job, reason: string, details: Parameters<Job["markFailed"]>[1]): void {
    if (job.canRetry) this.#transition(job, () => job.markRetrying(reason));
    else this.#transition(job, () => job.markFailed(reason, details));
  }

  async #cancelDependentsOfFailures(): Promise<void> {
    // Nothing failed or was cancelled since the last look: nothing new to cancel.
    if (this.#brokenScanned === this.#brokenSeen) return;
    this.#brokenScanned = this.#brokenSeen;
    // Jobs are in add order, and dependencies come first, so one pass settles whole chains.
    const stopping: Promise<void>[] = [];
    for (const job of this.#live()) {
      // A SUBMITTED job here is held by its backend (native dependencies): it must leave the queue too.
      const held = job.state === "SUBMITTED" && job.executor.nativeDependencies !== undefined;
      if (job.state !== "PENDING" && job.state !== "WAITING" && !held) continue;
      const broken = this.#brokenDependency(job);
      if (!broken) continue;
      this.#transition(job, () => job.markCancelled(broken));
      if (held) stopping.push(this.#stopProcess(job));
    }
    await Promise.all(stopping);
  }

  /**
   * Handles of the dependencies the job's backend can hold it on, or undefined while it must wait here: every
   * dependency has COMPLETED, or is submitted on the same backend (`nativeDependencies`) with no retry to come.
   */
  #heldOn(job: Job): string[] | undefined {
    const handles: string[] = [];
    const names = job.dependencies;
    // The dependencies before this index have COMPLETED, which they stay: a fan-in is not scanned again.
    let first = this.#firstOpenDependency.get(job) ?? 0;
    while (first < names.length && this.#byName.get(names[first]!)!.state === "COMPLETED") first++;
    if (first > 0) this.#firstOpenDependency.set(job, first);
    for (let i = first; i < names.length; i++) {
      const name = names[i]!;
      const dependency = this.#byName.get(name)!;
      if (dependency.state === "COMPLETED") continue;
      const domain = job.executor.nativeDependencies;
      if (domain === undefined || dependency.executor.nativeDependencies !== domain) return undefined;
      const handle = dependency.record.handle;
      if (!activeStates.has(dependency.state) || !handle || this.#submitting.has(dependency))
        return undefined;
      // A retried attempt gets a new handle: the dependents of a job that may fail and retry wait here.
      if (dependency.canRetry) return undefined;
      handles.push(handle);
    }
    return handles;
  }

  /**
   * Takes a reusable job's lock before submitting it. False when it must not be submitted here: another
   * experiment runs it (followed), or its record shows it COMPLETED (reused) or running (re-attached).
   */
  #claim(job: Job): boolean {
    if (this.#followedElsewhere(job)) return false;
    const from = job.state;
    job.refresh();
    if (job.state === "FAILED" || job.state === "CANCELLED") job.markPendingAgain(); // failed elsewhere: run it here
    if (job.state !== from) {
      this.#noteState(job);
      this.#changeCount++;
      this.#options.onTransition?.(job, from);
    }
    if (job.state === "COMPLETED") this.#releaseJobLock(job);
    return job.state === "PENDING" || job.state === "WAITING";
  }

  #submitReady(): void {
    const batches = new Map<Executor, { job: Job; dependsOn: string[] }[]>();
    const running = new Map<Executor, number>();
    for (const job of this.#live())
      if (activeStates.has(job.state)) running.set(job.executor, (running.get(job.executor) ?? 0) + 1);
    for (const job of this.#live()) {
      if (job.state !== "PENDING" && job.state !== "WAITING") continue;
      // A WAITING job whose executor is full cannot go now, ready or not: skip the look at its dependencies.
      if (job.state === "WAITING" && (running.get(job.executor) ?? 0) >= job.executor.maxParallel) continue;
      const dependsOn = this.#heldOn(job);
      if (!dependsOn) {
        if (job.state === "PENDING") this.#transition(job, () => job.markWaiting());
        continue;
      }
      if (job.backingOff) continue;
      const inUse = running.get(job.executor) ?? 0;
      if (inUse >= job.executor.maxParallel) continue;
      if (job.task.reusable && !this.#claim(job)) continue;
      const needs = job.record.tokens;
      if (needs?.length) {
        if (!this.#options.tokens) continue;
        const waitingFor = this.#options.tokens.acquire(needs, {
          jobDir: job.dir,
          job: job.name,
          experimentId: this.#options.experimentId,
        });
        if (waitingFor) {
          if (job.record.reason !== waitingFor) this.#transition(job, () => job.markWaitingFor(waitingFor));
          continue;
        }
      }
      running.set(job.executor, inUse + 1);
      this.#transition(job, () => job.markSubmitted());
      const batch = batches.get(job.executor) ?? [];
      batch.push({ job, dependsOn });
      batches.set(job.executor, batch);
    }
    for (const [executor, batch] of batches) {
      // Jobs ready together on an executor that takes many at once go in one call (a Slurm job array).
      if (executor.submitArray && batch.length > 1) void this.#submitArray(executor, batch);
      else for (const { job, dependsOn } of batch) void this.#submit(job, dependsOn);
    }
  }

  #submission(job: Job, dependsOn: readonly string[]): JobSubmission {
    const spec = job.record.launch ?? job.task.launchSpec({ jobDir: job.dir, jobName: job.name });
    const labrunEnv = this.#options.labrunEnv(job);
    this.#options.beforeSubmit?.(job, labrunEnv);
    return {
      jobDir: job.dir,
      jobName: job.name,
      experimentId: this.#options.experimentId,
      task: job.task,
      spec,
      labrunEnv,
      ...(dependsOn.length > 0 ? { dependsOn } : {}),
    };
  }

  async #submit(job: Job, dependsOn: readonly string[]): Promise<void> {
    this.#submitting.add(job);
    try {
      const handle = await job.executor.submit(this.#submission(job, dependsOn));
      job.recordHandle(handle, { soon: job.executor.handleInJobDir === true });
    } catch (error) {
      const message =
        error instanceof LabrunError ? error.message : `could not submit: ${(error as Error).message}`;
      if (!job.isTerminal) this.#transition(job, () => job.markFailed(message));
    } finally {
      this.#submitting.delete(job);
      this.#wake?.();
    }
  }

  /** Many jobs in one call; all of them are submitted or none (their records say FAILED with the reason). */
  async #submitArray(executor: Executor, batch: readonly { job: Job; dependsOn: string[] }[]): Promise<void> {
    for (const { job } of batch) this.#submitting.add(job);
    try {
      const submissions = batch.map(({ job, dependsOn }) => this.#submission(job, dependsOn));
      const handles = await executor.submitArray!(submissions);
      batch.forEach(({ job }, i) => job.recordHandle(handles[i]!));
    } catch (error) {
      const message =
        error instanceof LabrunError ? error.message : `could not submit: ${(error as Error).message}`;
      for (const { job } of batch) if (!job.isTerminal) this.#transition(job, () => job.markFailed(message));
    } finally {
      for (const { job } of batch) this.#submitting.delete(job);
      this.#wake?.();
    }
  }
}
