import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Job } from "../scheduler/job.js";
import { readJobOutcome } from "../executors/job-files.js";
import { SystemSampler } from "../tracking/system/system-sampler.js";
import { Run } from "../tracking/run.js";
import { prepareRun } from "../tracking/run-prepare.js";
import { RunReader } from "../tracking/run-reader.js";
import { readRunRecord, writeRunRecord, deriveStatus } from "../format/run-record.js";
import type { RunStatus } from "../format/run-record.js";
import type { JsonValue } from "../format/json-codec.js";
import { isCorruptRecord, recordWarningOf, type OnRecordWarning } from "../util/record-warning.js";

export interface JobRunOptions {
  /** How often the driver samples system metrics into running jobs' runs; 0 turns sampling off. */
  readonly systemMetricsIntervalMs: number;
  /** A folder on the disk whose use is reported (the workspace). */
  readonly diskPath: string;
}

interface BoundRun {
  readonly job: Job;
  readonly dir: string;
  readonly prefix: string;
  readonly metadata: Record<string, JsonValue>;
  /** Opened on the first thing the driver writes into it (most short jobs never need one). */
  run?: Run;
  tail?: { readonly controller: AbortController; readonly done: Promise<void> };
}

/**
 * The driver's side of each launched job's tracked run (`<job dir>/run`): it creates the run with the
 * task's parameters before the job starts, copies the job's stdout/stderr lines into the run's logs,
 * samples system metrics into its `system` stream, and, when the job did not report a status itself
 * (it does not use the SDK, or it was killed), records the job's outcome as the run's status.
 * The driver only appends (`attach`): a job that calls `Run.current()` owns its run's status.
 * This sits on every job's submission path, so it writes two small files there and nothing else; a run
 * writer is opened only once there is output or a sample to write.
 */
export class JobRuns {
  readonly #options: JobRunOptions;
  readonly #bound = new Map<Job, BoundRun>();
  readonly #sampler: SystemSampler;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: JobRunOptions) {
    this.#options = options;
    this.#sampler = new SystemSampler({ diskPath: options.diskPath });
  }

  start(): void {
    if (this.#options.systemMetricsIntervalMs > 0)
      this.#timer = setInterval(() => void this.#sampleAll(), this.#options.systemMetricsIntervalMs).unref();
  }

  /** Called before the job is submitted: the run exists, with the task's parameters, when the job starts. */
  bind(job: Job, env: Readonly<Record<string, string>>): void {
    const dir = env.LABRUN_RUN_DIR;
    const prefix = env.LABRUN_RUN_PREFIX;
    // A direct job runs in this very process and opens its own run here: nothing to attach to.
    if (!dir || !prefix || job.executor.kind === "direct" || this.#bound.has(job)) return;
    const metadata = { experimentId: env.LABRUN_EXPERIMENT_ID ?? null, job: job.name, jobDir: job.dir };
    const { env: _secrets, ...task } = job.task.toConfig() as Record<string, JsonValue>;
    prepareRun(dir, prefix, {
      metadata,
      params: {
        task,
        job: { name: job.name, attempt: job.record.attempt, experiment: env.LABRUN_EXPERIMENT_ID ?? "" },
      },
    });
    this.#bound.set(job, { job, dir, prefix, metadata });
  }

  /** Called when the job runs: from now on its output lines are copied into its run's logs. */
  running(job: Job): void {
    const bound = this.#bound.get(job);
    if (!bound || bound.tail) return;
    bound.tail = this.#copyOutput(bound, true);
  }

  /** Called when the job has ended: last log lines, last sample, and the run's status if nobody set it. */
  async end(job: Job): Promise<void> {
    const bound = this.#bound.get(job);
    if (!bound) return;
    this.#bound.delete(job);
    // A job that ended before it was seen running gets its whole output copied now, in one read.
    if (!bound.tail && (job.record.startedAt || existsSync(join(job.dir, "started"))))
      bound.tail = this.#copyOutput(bound, false);
    // A followed tail ends by itself once the job's exit is recorded; a cancelled job may never record one.
    const cutoff = setTimeout(() => bound.tail?.controller.abort(), 2000);
    await bound.tail?.done;
    clearTimeout(cutoff);
    if (bound.run) {
      this.#sampler.forget(readJobOutcome(job.dir).pid ?? -1);
      await bound.run.complete(); // flushes; an attached writer does not touch the status
    }
    recordJobOutcome(bound.dir, job);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // Jobs still running when the driver stops (detach on a second Ctrl-C) keep their runs as they are.
    for (const bound of this.#bound.values()) {
      bound.tail?.controller.abort();
      await bound.tail?.done;
      await bound.run?.complete();
    }
    this.#bound.clear();
  }

  #copyOutput(bound: BoundRun, follow: boolean): NonNullable<BoundRun["tail"]> {
    const controller = new AbortController();
    const { job } = bound;
    const done = (async () => {
      for await (const { stream, line } of job.executor.logs(
        { jobDir: job.dir, handle: job.record.handle },
        { follow, signal: controller.signal },
      ))
        this.#runOf(bound).log(line, { level: "info", metadata: { stream } });
    })().catch(() => undefined);
    return { controller, done };
  }

  #runOf(bound: BoundRun): Run {
    bound.run ??= new Run({ prefix: bound.prefix, dir: bound.dir, attach: true, metadata: bound.metadata });
    return bound.run;
  }

  async #sampleAll(): Promise<void> {
    const running = [...this.#bound.values()].filter((bound) => bound.job.state === "RUNNING");
    if (running.length === 0) return;
    const machine = await this.#sampler.sampleMachine();
    for (const bound of running) {
      const pid = readJobOutcome(bound.job.dir).pid;
      const processes =
        pid !== undefined && bound.job.executor.kind === "local" ? this.#sampler.sampleProcessGroup(pid) : {};
      const run = this.#runOf(bound);
      if (run.isOpen) run.metrics("system").log({ ...machine, ...processes });
    }
  }
}

const runStatusOf: Partial<Record<Job["state"], RunStatus>> = {
  COMPLETED: "COMPLETED",
  FAILED: "FAILED",
  CANCELLED: "CANCELLED",
};

/**
 * Sets the run's status from the job's when the job did not set one, or died without ending its run. A run
 * record that cannot be read is left as it is (never written over).
 */
export function recordJobOutcome(runDir: string, job: Job): void {
  const status = runStatusOf[job.state];
  const record = readRunRecord(runDir, () => undefined);
  if (!status || !record) return;
  const owned = record.status !== undefined && !(record.status === "RUNNING" && deriveStatus(record).died);
  if (owned) return;
  writeRunRecord(runDir, {
    ...record,
    status,
    statusReason: job.record.reason ?? (status === "COMPLETED" ? null : status.toLowerCase()),
    startedAt: record.startedAt ?? job.record.startedAt ?? job.record.submittedAt ?? record.created_at,
    endedAt: job.record.endedAt ?? new Date().toISOString(),
    error:
      status === "FAILED"
        ? { name: "JobFailed", message: job.record.reason ?? "failed", code: null, stack: null }
        : null,
  });
}

/** The last value of every field of every stream (except `system`) of a job's run, as `stream.field`. */
export function latestMetrics(jobDir: string, onWarning?: OnRecordWarning): Record<string, number> {
  const dir = join(jobDir, "run");
  if (!existsSync(join(dir, "experiment.json"))) return {};
  const latest: Record<string, number> = {};
  try {
    const reader = RunReader.openDir(dir);

    for (const { name } of reader.metrics.list()) {
      if (name === "system") continue;
      const point = reader.metrics(name).last();
      for (const [field, value] of Object.entries(point?.data ?? {}))
        if (typeof value === "number" && field !== "_ts")
          latest[name === null ? field : `${name}.${field}`] = value;
    }
    for (const warning of reader.warnings.list) onWarning?.(warning);
  } catch (error) {
    // A run being written for the first time has no metrics to show yet; a damaged one is named.
    if (onWarning && isCorruptRecord(error)) onWarning(recordWarningOf(error));
    return {};
  }
  return latest;
}
