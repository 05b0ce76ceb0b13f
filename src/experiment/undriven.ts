import { setTimeout as sleep } from "node:timers/promises";
import { ExperimentStateError } from "../errors.js";
import type { Job } from "../scheduler/job.js";
import { activeStates } from "../workspace/job-record.js";
import { Scheduler } from "../scheduler/scheduler.js";
import type { TokenSlots } from "../scheduler/token.js";
import { ControlRequests } from "./control-requests.js";
import { DriverLock } from "./driver-lock.js";
import { jobStatus } from "./status-report.js";
import type { JobStatus } from "./status-report.js";

/**
 * Operations on a launched experiment from a process that does not drive it: it never writes a job's
 * record while a live driver owns the experiment, and takes the driver lock when there is none.
 */
export interface UndrivenExperiment {
  readonly id: string;
  readonly dir: string;
  readonly jobs: readonly Job[];
  readonly labrunEnv: (job: Job) => Record<string, string>;
  readonly tokens: TokenSlots;
}

/** The records on disk, with what the executors say about active jobs laid over them (nothing written). */
export async function liveStatuses(jobs: readonly Job[]): Promise<JobStatus[]> {
  for (const job of jobs) job.refresh();
  const statuses = await Promise.all(
    jobs.map(async (job) => {
      const base = jobStatus(job);
      if (!activeStates.has(job.state)) return base;
      const [live] = await job.executor.status([{ jobDir: job.dir, handle: job.record.handle }]);
      if (!live || live.state === "PENDING") return base;
      const times = {
        ...(live.startedAt ? { startedAt: live.startedAt } : {}),
        ...(live.endedAt ? { endedAt: live.endedAt } : {}),
      };
      if (live.state === "RUNNING") return { ...base, state: "RUNNING" as const, ...times };
      return {
        ...base,
        state: live.state === "LOST" ? ("FAILED" as const) : live.state,
        ...times,
        ...(live.reason ? { reason: live.reason } : {}),
        ...(live.exitCode === undefined ? {} : { exitCode: live.exitCode }),
      };
    }),
  );
  // A PENDING job whose dependencies have not all COMPLETED is waiting on them (the driver keeps that in memory).
  const byName = new Map(statuses.map((status) => [status.name, status]));
  return statuses.map((status) =>
    status.state === "PENDING" && status.dependencies.some((name) => byName.get(name)?.state !== "COMPLETED")
      ? { ...status, state: "WAITING" as const }
      : status,
  );
}

/** With no live driver, records what the executors say about active jobs (ended, lost). */
export async function settleIfUndriven(exp: UndrivenExperiment): Promise<void> {
  const lock = new DriverLock(exp.dir);
  if (lock.holder() || exp.jobs.every((job) => job.isTerminal)) return;
  await withLock(exp, lock, (scheduler) => scheduler.settle());
}

/** Asks the live driver to cancel, or cancels directly when there is none; returns once nothing of the jobs runs. */
export async function cancelFromOutside(
  exp: UndrivenExperiment,
  names: readonly string[],
  reason: string,
): Promise<void> {
  const lock = new DriverLock(exp.dir);
  if (!lock.holder()) {
    await withLock(exp, lock, async (scheduler) => {
      await scheduler.settle();
      await scheduler.cancel(names, reason);
    });
    return;
  }
  ControlRequests.send(exp.dir, { cancel: [...names], reason });
  const jobs = exp.jobs.filter((job) => names.includes(job.name));
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const job of jobs) job.refresh();
    if (jobs.every((job) => job.isTerminal)) break;
    if (Date.now() > deadline)
      throw new ExperimentStateError(
        `The driver of ${exp.id} did not cancel ${names.join(", ")} within 30 s; is it stuck? Check its supervisor.log.`,
      );
    await sleep(100);
  }
  // The driver records the cancellation before its signals take effect; make sure nothing of the jobs is left.
  await Promise.all(
    jobs
      .filter((job) => job.record.handle)
      .map((job) => job.executor.cancel({ jobDir: job.dir, handle: job.record.handle })),
  );
}

async function withLock(
  exp: UndrivenExperiment,
  lock: DriverLock,
  action: (scheduler: Scheduler) => Promise<void>,
): Promise<void> {
  lock.acquire(exp.id);
  try {
    for (const job of exp.jobs) job.refresh();
    await action(
      new Scheduler(exp.jobs, { experimentId: exp.id, labrunEnv: exp.labrunEnv, tokens: exp.tokens }),
    );
  } finally {
    lock.release();
  }
}
