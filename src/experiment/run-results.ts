import type { JobState } from "../workspace/job-record.js";
import type { Job } from "../scheduler/job.js";
import { experimentState } from "./experiment-record.js";
import type { ExperimentState } from "./experiment-record.js";

/** What `run()` and `resume()` resolve to: each job's final state, so a failure is never only printed. */
export interface ExperimentResult {
  readonly id: string;
  readonly title: string;
  readonly dir: string;
  readonly state: ExperimentState;
  /** True when every job COMPLETED (or, for a detached launch, when nothing has failed so far). */
  readonly ok: boolean;
  readonly detached: boolean;
  readonly jobs: readonly {
    readonly name: string;
    readonly state: JobState;
    readonly exitCode?: number;
    readonly reason?: string;
  }[];
}

// Kept on globalThis so `labrun run file.ts` sees results even when the file imports another copy of labrun.
const key = Symbol.for("labrun.runResults");
type Holder = { [key]?: ExperimentResult[] };

export function recordRunResult(result: ExperimentResult): ExperimentResult {
  const holder = globalThis as Holder;
  (holder[key] ??= []).push(result);
  return result;
}

export function buildRunResult(
  id: string,
  title: string,
  dir: string,
  jobs: readonly Job[],
  detached: boolean,
): ExperimentResult {
  const state = experimentState(
    jobs.map((job) => job.state),
    true,
  );
  return {
    id,
    title,
    dir,
    state,
    detached,
    ok: detached ? !jobs.some((job) => job.state === "FAILED") : state === "COMPLETED",
    jobs: jobs.map((job) => ({
      name: job.name,
      state: job.state,
      ...(job.record.exitCode === undefined ? {} : { exitCode: job.record.exitCode }),
      ...(job.record.reason ? { reason: job.record.reason } : {}),
    })),
  };
}

/** Results of every run()/resume() in this process so far. */
export function runResults(): readonly ExperimentResult[] {
  return (globalThis as Holder)[key] ?? [];
}
