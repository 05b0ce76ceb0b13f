import type { Job } from "../scheduler/job.js";
import { Scheduler } from "../scheduler/scheduler.js";
import type { TokenSlots } from "../scheduler/token.js";
import type { Workspace } from "../workspace/workspace.js";
import type { ConsoleReporter } from "./console-reporter.js";
import type { JobChange } from "./experiment-options.js";
import { ControlRequests } from "./control-requests.js";
import { DriverLock } from "./driver-lock.js";
import { indexWhileDriving } from "./experiment-index.js";
import { handleInterrupts } from "./interrupts.js";
import { JobRuns } from "./job-runs.js";
import { markSupervisorReady } from "./supervisor.js";

export interface DriveOptions {
  readonly id: string;
  readonly dir: string;
  readonly jobs: readonly Job[];
  readonly workspace: Workspace;
  readonly reporter: ConsoleReporter;
  readonly tokens: TokenSlots;
  readonly labrunEnv: (job: Job) => Record<string, string>;
  readonly systemMetricsIntervalMs: number;
  /** Ctrl-C cancels (twice: detaches); a supervisor or a resume from a script has no terminal to listen to. */
  readonly interactive: boolean;
  /** Driving as the supervisor of a detached launch: tells the launching process once the first pass is done. */
  readonly supervisor?: boolean;
  /** Jobs whose output is printed as it comes. */
  readonly tails: ReadonlySet<string>;
  /** Gets the scheduler while it runs (cancels from this process go through it), undefined once it stops. */
  readonly onScheduler: (scheduler: Scheduler | undefined) => void;
  /** Told every state change, after the reporter. */
  readonly onJobChange?: (change: JobChange) => void;
}

/**
 * Drives the launched jobs to their end as the one process holding the experiment's driver lock: binds each
 * job to its tracked run, reports transitions, takes cancel requests from other processes, keeps the workspace
 * index current. Resolves with whether the user asked to detach (Ctrl-C twice) instead.
 */
export async function driveJobs(options: DriveOptions): Promise<{ detachRequested: boolean }> {
  const { dir, jobs, reporter, tails } = options;
  const lock = new DriverLock(dir);
  lock.acquire(options.id);
  const control = new ControlRequests(dir);
  let firstPass = options.supervisor;
  const jobRuns = new JobRuns({
    systemMetricsIntervalMs: options.systemMetricsIntervalMs,
    diskPath: options.workspace.root,
  });
  const runEnds: Promise<void>[] = [];
  const scheduler = new Scheduler(jobs, {
    experimentId: options.id,
    tokens: options.tokens,
    labrunEnv: options.labrunEnv,
    beforeSubmit: (job, env) => {
      try {
        jobRuns.bind(job, env);
      } catch (error) {
        // Tracking must never stop a job from running: say why its run is missing and go on.
        reporter.log(
          "WARN",
          `${job.name}: its tracked run could not be prepared: ${(error as Error).message}`,
        );
      }
    },
    onTransition: (job) => {
      reporter.onTransition(job, tails.has(job.name));
      options.onJobChange?.({
        name: job.name,
        state: job.state,
        ...(job.record.exitCode === undefined ? {} : { exitCode: job.record.exitCode }),
        ...(job.record.reason ? { reason: job.record.reason } : {}),
        time: new Date().toISOString(),
      });
      if (job.state === "RUNNING") jobRuns.running(job);
      if (job.isTerminal) runEnds.push(jobRuns.end(job).catch(() => undefined));
    },
    takeCancelRequests: () => {
      if (firstPass) {
        firstPass = false;
        // The first pass has submitted what was ready: tell the process that detached us that we are in charge.
        queueMicrotask(() => markSupervisorReady(dir));
      }
      return control.take();
    },
  });
  options.onScheduler(scheduler);
  const interrupts = options.interactive ? handleInterrupts(scheduler, jobs, reporter) : undefined;
  reporter.start(jobs);
  jobRuns.start();
  const indexing = indexWhileDriving(options.workspace, dir, jobs); // the workspace index (a cache), batched
  try {
    await scheduler.run();
    await Promise.all(runEnds);
  } finally {
    await jobRuns.stop();
    await reporter.stop();
    interrupts?.dispose();
    options.onScheduler(undefined);
    lock.release();
    indexing.stop();
  }
  return { detachRequested: interrupts?.detachRequested ?? false };
}
