/**
 * What the workspace index holds: one row per launched experiment and one per job of it, each a copy of
 * what the experiment's files say, with the stamp of the file it was read from (to tell when to read it
 * again). Paths are relative to the workspace root, so a workspace can be moved without rebuilding.
 */

import { jobStates, type JobState } from "../job-record.js";

/** Job states, as job.json records them. */
export const indexedJobStates = jobStates;
export type IndexedJobState = JobState;

/** How many jobs of an experiment are in each state, and in all. */
export type JobCounts = Readonly<Record<IndexedJobState, number>> & { readonly total: number };

/** The job of one experiment: its place in the experiment (experiment.json) and its record (job.json). */
export interface IndexedJob {
  readonly index: number;
  readonly name: string;
  readonly task: string;
  /** The last segment of the job's directory: the task's identity (or a per-experiment hash). */
  readonly identity: string;
  /** Job directory, relative to the workspace root (`jobs/<task>/<identity>`). */
  readonly dir: string;
  /** PENDING when job.json is missing or unreadable, as listings from the files show it. */
  readonly state: IndexedJobState;
  readonly exitCode?: number;
  readonly attempt?: number;
  readonly reason?: string;
  readonly createdAt?: string;
  readonly submittedAt?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Stamp of job.json when it was read (see `fileStamp`). */
  readonly stamp: string;
}

/** A launched experiment, from its experiment.json. */
export interface IndexedExperiment {
  /** Experiment directory, relative to the workspace root (`experiments/<title>/<id>`). */
  readonly dir: string;
  readonly id: string;
  readonly title: string;
  readonly host: string;
  readonly user: string;
  readonly git: { readonly commit: string; readonly dirty: boolean; readonly branch?: string } | null;
  readonly createdAt: string;
  readonly launchedAt?: string;
  readonly finishedAt?: string;
  /** Stamp of experiment.json when it was read. */
  readonly stamp: string;
  readonly jobs: readonly IndexedJob[];
}

/** One line of a listing: the experiment with its derived state and job counts (not its jobs). */
export interface ExperimentListing extends Omit<IndexedExperiment, "jobs" | "stamp"> {
  readonly state: string;
  readonly jobs: JobCounts;
}

/** Filters of `WorkspaceIndex.experiments`; each one given must match exactly. */
export interface ExperimentFilter {
  readonly title?: string;
  readonly host?: string;
  readonly state?: string;
}

/** Derives an experiment's state from its jobs' (the rule lives with the experiment records). */
export type ExperimentStateRule = (jobStates: readonly string[], launched: boolean) => string;

export function countJobs(states: readonly string[]): JobCounts {
  const counts = Object.fromEntries(indexedJobStates.map((state) => [state, 0])) as Record<
    IndexedJobState,
    number
  >;
  for (const state of states) if (state in counts) counts[state as IndexedJobState]++;
  return { ...counts, total: states.length };
}

/** True for the states a job does not leave on its own. */
export function isFinalJobState(state: string): boolean {
  return state === "COMPLETED" || state === "FAILED" || state === "CANCELLED";
}
