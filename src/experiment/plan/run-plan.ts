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
import { keepServicesUp, StopRequest } from "../services/stop-request.js";
import { ServiceSet } from "../services/service-set.js";
import { serviceUrl } from "../services/web-service.js";
import { addPlanJobs, planDefaults } from "./build-plan.js";
import { serviceFromSpec } from "./plan-services.js";
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
  const defaults = planDefaults(plan);
  if (plan.dirtyGit)
    checkDirtyGit(gitInfo(defaults.cwd), plan.dirtyGit, {
      where: "the experiment's dirty_git",
      runs: mode === "NORMAL",
      warn,
    });
  const exp = new PlainExperiment(plan.title, experimentOptionsFor(plan, options));
  addPlanJobs(exp, plan);
  const specs = plan.services ?? [];
  if (specs.length === 0) return launchPlanned(exp, plan, mode, options.emit);
  // Services as `run-experiment` keeps them: started before the jobs, recorded in services.json while the
  // experiment runs, kept up after the jobs until Ctrl-C (or until they all stop), then stopped.
  const services = new ServiceSet({ autoStart: mode === "NORMAL" });
  const stopRequest = mode === "NORMAL" ? new StopRequest(true) : undefined;
  let waited = false;
  try {
    for (const spec of specs) services.add(serviceFromSpec(spec, defaults, exp));
    await services.startedAll();
    if (!plan.cleanMode)
      for (const service of services.running)
        process.stderr.write(
          `Service ${service.id} is running${serviceUrl(service) ? ` at ${serviceUrl(service)}` : ""}.\n`,
        );
    const outcome = await launchPlanned(exp, plan, mode, options.emit, (dir) => {
      services.recordIn(dir);
      stopRequest?.watch();
    });
    if (stopRequest) waited = await keepServicesUp(services, stopRequest);
    return outcome;
  } finally {
    stopRequest?.armForceExit();
    const running = services.running.length;
    await services.stopAll(warn);
    stopRequest?.dispose();
    if (waited && running > 0) process.stderr.write(`Stopped ${running} service(s).\n`);
  }
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
  onLaunched?: (dir: string) => void,
): Promise<PlanOutcome> {
  if (mode !== "NORMAL") {
    const jobs = mode === "DRY_RUN" ? await listPlannedJobs(exp) : await generateJobScripts(exp);
    emit?.(plannedEvent(exp, mode, plan.labrunPlan, jobs));
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
  if (exp.dir) {
    onLaunched?.(exp.dir);
    emit?.(plannedEvent(exp, mode, plan.labrunPlan));
  }
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
  version: number,
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
    labrunPlan: version,
    id: exp.id,
    title: exp.title,
    dir: listed ? null : (exp.dir ?? null),
    workspace: exp.workspace.root,
    mode,
    jobs,
  };
}
