import type { LaunchSpec, Task } from "../config/task.js";

/**
 * Where and how jobs run. One implementation per backend (`local/`, `direct/`, later `slurm/`), all held to
 * the contract suite in `labrun/testing`.
 *
 * Deliberately left out: ordering and dependencies (the scheduler decides when to submit), retries, and
 * any state of its own that is not on disk — an executor rebuilt from `toConfig()` in another process
 * must be able to answer `status`, `cancel` and `logs` for jobs it did not submit, from their job
 * directory and handle alone.
 */
export interface Executor {
  /** Registry key used by `executorFromConfig` (`local`, `direct`, …). */
  readonly kind: string;
  /** How many of this executor's jobs may run at once. */
  readonly maxParallel: number;
  /** True when jobs keep running after the driver process exits (needed for detach/re-attach). */
  readonly survivesDriver: boolean;
  /**
   * True when a job's own files identify what runs it (the local wrapper writes its pid first thing), so the
   * handle may reach job.json with the job's next change instead of at once. Leave unset when the handle is
   * the only way to find the job again (a Slurm job id).
   */
  readonly handleInJobDir?: boolean;
  toConfig(): ExecutorConfig;
  /** Starts the job; resolves with an opaque handle to store in job.json once the job has started. */
  submit(job: JobSubmission): Promise<string>;
  /** Current state of each job, in order. */
  status(jobs: readonly JobRef[]): Promise<ExecutorJobStatus[]>;
  /** Stops the job and everything it started; resolves when nothing of it runs any more. */
  cancel(job: JobRef): Promise<void>;
  /** The job's output lines; with `follow`, keeps yielding new lines until the job ends or `signal` aborts. */
  logs(job: JobRef, options?: LogOptions): AsyncIterable<LogLine>;
  /** Calls `listener` when a job this process submitted may have changed state (saves polling). */
  onChange(listener: () => void): () => void;
  /** A copy with extra environment variables for its jobs (what plugins use). */
  with(changes: { readonly env?: Readonly<Record<string, string>> }): Executor;
  /**
   * Capability: the backend itself holds a job until its dependencies have completed (Slurm's
   * `--dependency=afterok`). Its value names the backend instance (a cluster): a job may be submitted before
   * its dependencies end when they run on executors with the same value; their handles come in `dependsOn`.
   */
  readonly nativeDependencies?: string;
  /**
   * Capability: submits several jobs at once (Slurm job arrays). Resolves with one handle per job, in order,
   * or rejects with nothing submitted. The scheduler hands it every job of this executor ready in one pass.
   */
  submitArray?(jobs: readonly JobSubmission[]): Promise<string[]>;
}

export interface ExecutorConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export interface JobSubmission {
  readonly jobDir: string;
  readonly jobName: string;
  readonly experimentId: string;
  readonly task: Task;
  readonly spec: LaunchSpec;
  /** Variables that tell the job where it runs (LABRUN_JOB_DIR, …). */
  readonly labrunEnv: Readonly<Record<string, string>>;
  /** Handles of jobs that must complete first, for executors with `nativeDependencies` (held by the backend). */
  readonly dependsOn?: readonly string[];
}

export interface JobRef {
  readonly jobDir: string;
  readonly handle?: string | undefined;
}

export type ExecutorJobState = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "LOST";

export interface ExecutorJobStatus {
  readonly state: ExecutorJobState;
  readonly exitCode?: number;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Why the job is in this state, when there is more to say (LOST, a signal, …). */
  readonly reason?: string;
  /** True when the job has not started and nothing shows it ever will (safe to submit again). */
  readonly neverStarted?: boolean;
}

export interface LogOptions {
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
}

export interface LogLine {
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}
