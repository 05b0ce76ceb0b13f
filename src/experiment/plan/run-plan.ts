import { gitInfo } from "../../workspace/provenance.js";
import { Workspace } from "../../workspace/workspace.js";
import type { Experiment } from "../experiment.js";
import { Experiment as PlainExperiment } from "../experiment.js";
import type { ExperimentOptions, RunOptions } from "../experiment-options.js";
import { checkDirtyGit } from "../git-check.js";
import { generateJobScripts, listPlannedJobs } from "../planned-jobs.js";
import type { GeneratedJob, PlannedJobInfo } from "../planned-jobs.js";
import type { RunMode } from "../run-mode.js";
import type { ExperimentResult } from "../run-results.js";
import { addPlanJobs, planDefaults } from "./build-plan.js";
import type { PlanEvent } from "./plan-events.js";
import type { Plan } from "./plan-schema.js";

export interface RunPlanOptions {
  /** Workspace root (wins over the plan's `workspace`). */
  readonly workspace?: string;
  /** Receives the engine's answer as events (docs/plan-protocol.md). */
  readonly emit?: (event: PlanEvent) => void;
  /** Print tailed jobs' output (default true; false when events go to stdout). */
  readonly printTails?: boolean;
  readonly warn?: (message: string) => void;
}

export interface PlanOutcome {
  readonly mode: RunMode;
  readonly experimentId: string;
  /** NORMAL: what `run()` resolved to. */
  readonly result?: ExperimentResult;
  /** DRY_RUN: the jobs listed; GENERATE: the jobs written. */
  readonly jobs: readonly (PlannedJobInfo | GeneratedJob)[];
  readonly exitCode: number;
}

/**
 * Runs a validated plan: checks `dirtyGit`, adds its jobs to an `Experiment` (the same one TypeScript uses)
 * and launches it (NORMAL), lists it (DRY_RUN) or writes a script per job (GENERATE), telling `emit` what
 * happens. Every bad task, executor or dependency throws its typed error before anything is written.
 */
export async function runPlan(plan: Plan, options: RunPlanOptions = {}): Promise<PlanOutcome> {
  const mode = plan.mode ?? "NORMAL";
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  if (plan.dirtyGit)
    checkDirtyGit(gitInfo(planDefaults(plan).cwd), plan.dirtyGit, {
      where: "the experiment's dirty_git",
      runs: mode === "NORMAL",
      warn,
    });
  const exp = new PlainExperiment(plan.title, experimentOptionsFor(plan, options));
  addPlanJobs(exp, plan);
  return launchPlanned(exp, plan, mode, options.emit);
}

/** The `Experiment` options a plan asks for, with events wired to `emit`. */
export function experimentOptionsFor(
  plan: Plan,
  options: Pick<RunPlanOptions, "workspace" | "emit" | "printTails">,
): ExperimentOptions {
  const { emit } = options;
  const baseDir = options.workspace ?? plan.workspace ?? undefined;
  return {
    ...(plan.id ? { id: plan.id } : {}),
    ...(baseDir ? { baseDir } : {}),
    ...(plan.logLevel ? { logLevel: plan.logLevel } : {}),
    ...(plan.cleanMode ? { cleanMode: true } : {}),
    hintLanguage: "python",
    ...(emit
      ? {
          onJobChange: (change) => emit({ event: "job", ...change }),
          onLogLine: (line) => emit({ event: "log", ...line }),
        }
      : {}),
    ...(options.printTails === false ? { printTails: false } : {}),
  };
}

/** The plan's `run` options, as `Experiment.run` takes them. */
export function runOptionsOf(plan: Plan): RunOptions {
  const run = plan.run ?? {};
  return Object.fromEntries(Object.entries(run).filter(([, value]) => value !== undefined)) as RunOptions;
}

/** Launches, lists or generates the experiment's jobs by mode, emitting `planned` and `result`. */
export async function launchPlanned(
  exp: Experiment,
  plan: Plan,
  mode: RunMode,
  emit: ((event: PlanEvent) => void) | undefined,
): Promise<PlanOutcome> {
  if (mode !== "NORMAL") {
    const jobs = mode === "DRY_RUN" ? await listPlannedJobs(exp) : await generateJobScripts(exp);
    emit?.(plannedEvent(exp, mode, jobs));
    emit?.({
      event: "result",
      id: exp.id,
      title: exp.title,
      dir: null,
      state: "PENDING",
      ok: true,
      detached: false,
      exitCode: 0,
      jobs: jobs.map((job) => ({ name: job.name, state: "PENDING" })),
      hint: null,
    });
    return { mode, experimentId: exp.id, jobs, exitCode: 0 };
  }
  const running = exp.run(runOptionsOf(plan));
  // run() writes the records before its first await: the experiment exists from here on.
  if (exp.dir) emit?.(plannedEvent(exp, mode));
  const result = await running;
  const exitCode = result.ok ? 0 : 1;
  const workspaceFlag =
    exp.workspace.root === new Workspace().root ? "" : ` --workspace ${exp.workspace.root}`;
  emit?.({
    event: "result",
    ...result,
    exitCode,
    hint: `labrun experiment status ${result.id}${workspaceFlag}`,
  });
  return { mode, experimentId: exp.id, result, jobs: [], exitCode };
}

function plannedEvent(
  exp: Experiment,
  mode: RunMode,
  listed?: readonly (PlannedJobInfo | GeneratedJob)[],
): PlanEvent {
  const tasks = exp.tasks;
  const jobs = listed
    ? listed.map((job) => ({
        name: job.name,
        index: job.index,
        identity: job.identity,
        taskKind: tasks[job.index]?.kind,
        dir: job.jobDir,
        dependencies: job.dependencies,
        reused: job.state === "reused",
        ...("script" in job ? { script: job.script } : {}),
      }))
    : exp.jobs.map((job) => ({
        name: job.name,
        index: job.index,
        identity: tasks[job.index]?.identity,
        taskKind: tasks[job.index]?.kind,
        dir: job.directory,
        dependencies: job.dependencies,
        reused: job.state === "COMPLETED",
      }));
  return {
    event: "planned",
    labrunPlan: 1,
    id: exp.id,
    title: exp.title,
    dir: listed ? null : (exp.dir ?? null),
    workspace: exp.workspace.root,
    mode,
    jobs,
  };
}
