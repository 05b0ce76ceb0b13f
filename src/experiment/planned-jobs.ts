import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "../executors/job-files.js";
import { writeFileAtomic } from "../util/atomic-file.js";
import type { Experiment } from "./experiment.js";
import { currentUser } from "./informations.js";
import { jobRunPrefix } from "./launch-plan.js";
import { cliShimDir } from "./cli-shim.js";
import { engineEnv } from "../util/engine-paths.js";

/** A job as DRY_RUN lists it. */
export interface PlannedJobInfo {
  readonly index: number;
  readonly name: string;
  /** The task's name (its folder under `jobs/`). */
  readonly task: string;
  /** `task.identity`: the hash of the task's parameters. */
  readonly identity: string;
  /** `reused` when the job directory already holds a COMPLETED job, else `new`. */
  readonly state: "new" | "reused";
  readonly dependencies: readonly string[];
  readonly jobDir: string;
}

/** A job as GENERATE wrote it. */
export interface GeneratedJob extends PlannedJobInfo {
  /** `<jobDir>/run.sh`: the job's command, with its environment and working directory. */
  readonly script: string;
  /** `<jobDir>/params.json`: the task's configuration. */
  readonly params: string;
}

/** The experiment's jobs, their identities, whether each would be reused, without writing anything. */
export async function listPlannedJobs(exp: Experiment): Promise<PlannedJobInfo[]> {
  if (exp.tasks.length === 0) return [];
  const plan = await exp.dryrun({ log: false });
  const tasks = exp.tasks;
  return plan.map((job) => ({
    index: job.index,
    name: job.name,
    task: tasks[job.index]!.name,
    identity: tasks[job.index]!.identity,
    state: completedJobAt(job.jobDir) ? "reused" : "new",
    dependencies: job.dependencies,
    jobDir: job.jobDir,
  }));
}

/**
 * Writes, into each job's directory, `run.sh` (the job's command with its environment and working
 * directory, to run by hand; `extraEnv` adds variables the driver's environment gave its jobs) and `params.json` (the task's configuration), plus the files the task needs
 * (an inline script, call arguments). Runs nothing and never touches job.json or a job's outcome files.
 */
export async function generateJobScripts(
  exp: Experiment,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<GeneratedJob[]> {
  if (exp.tasks.length === 0) return [];
  const plan = await exp.dryrun({ log: false });
  const tasks = exp.tasks;
  const user = currentUser();
  return plan.map((job) => {
    const state = completedJobAt(job.jobDir) ? "reused" : "new";
    const task = tasks[job.index]!;
    const spec = task.launchSpec({ jobDir: job.jobDir, jobName: job.name });
    mkdirSync(job.jobDir, { recursive: true });
    for (const file of spec.files) writeFileAtomic(join(job.jobDir, file.name), file.content);
    const executorEnv = (job.executor as { env?: unknown }).env;
    const env: Record<string, string> = {
      ...extraEnv,
      ...(isStringRecord(executorEnv) ? executorEnv : {}),
      ...spec.env,
      LABRUN_HOME: exp.workspace.root,
      LABRUN_JOB_NAME: job.name,
      LABRUN_JOB_DIR: job.jobDir,
      LABRUN_RUN_DIR: join(job.jobDir, "run"),
      LABRUN_RUN_PREFIX: jobRunPrefix(user, exp.title, exp.id, job.name),
      ...engineEnv(),
    };
    const script = join(job.jobDir, "run.sh");
    writeFileAtomic(
      script,
      [
        "#!/bin/bash",
        `# Written by \`labrun run-experiment --run-mode GENERATE\` for job "${job.name}" of ${exp.title}`,
        `# (task ${task.name}, identity ${task.identity}).`,
        "# Runs the job's command in the foreground; labrun does not record its outcome.",
        ...(job.dependencies.length
          ? [`# Run it once the jobs it depends on have completed: ${job.dependencies.join(", ")}.`]
          : []),
        ...Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
        // `labrun` in the job is the labrun that wrote this script.
        `export PATH=${shellQuote(cliShimDir(exp.workspace.root))}:"$PATH"`,
        `cd -- ${shellQuote(spec.cwd)} || exit 1`,
        `exec ${spec.argv.map(shellQuote).join(" ")} "$@"`,
        "",
      ].join("\n"),
    );
    chmodSync(script, 0o755);
    const params = join(job.jobDir, "params.json");
    writeFileAtomic(params, `${JSON.stringify(task.toConfig(), null, 2)}\n`);
    return {
      index: job.index,
      name: job.name,
      task: task.name,
      identity: task.identity,
      state,
      dependencies: job.dependencies,
      jobDir: job.jobDir,
      script,
      params,
    };
  });
}

function completedJobAt(jobDir: string): boolean {
  const file = join(jobDir, "job.json");
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { state?: unknown }).state === "COMPLETED";
  } catch {
    return false; // a damaged job.json is not a job to reuse
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.values(value).every((item) => typeof item === "string")
  );
}
