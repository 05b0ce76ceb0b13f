import { relative } from "node:path";
import type { Job } from "../scheduler/job.js";
import type { JobState } from "../workspace/job-record.js";
import type { PlannedJob } from "./launch-plan.js";
import type { LogLevel } from "./console-reporter.js";
import type { ExperimentResult } from "./run-results.js";
import { formatDuration, formatTable, paint, paintState } from "../util/table.js";

/** One job's line in `status()`, as returned by `status({ returnDict: true })` and `--json`. */
export interface JobStatus {
  readonly index: number;
  readonly name: string;
  readonly task: string;
  readonly state: JobState;
  readonly reason?: string;
  readonly exitCode?: number;
  readonly executor: string;
  readonly jobId?: string;
  readonly attempt: number;
  /** Retries allowed after a failed attempt (0: none). */
  readonly retries: number;
  /** The latest value of each metric its run logged, as `stream.field` (the `system` stream left out). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** Token units the job holds while it runs, as `name×count`. */
  readonly tokens: readonly string[];
  readonly dependencies: readonly string[];
  readonly directory: string;
  readonly submittedAt?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

export function formatStatusTable(
  experimentId: string,
  jobs: readonly JobStatus[],
  cwd = process.cwd(),
): string {
  const rows = jobs.map((job) => [
    String(job.index),
    job.name,
    paintState(job.state) +
      (job.retries > 0 && job.attempt > 0 ? ` attempt ${job.attempt}/${job.retries + 1}` : "") +
      (job.reason ? ` ${paint("dim", `(${job.reason})`)}` : ""),
    job.executor,
    job.jobId ?? "-",
    durationOf(job),
    formatMetrics(job.metrics),
    displayPath(job.directory, cwd),
  ]);
  return `Experiment status for ${paint("bold", experimentId)}\n\n${formatTable(
    ["Task", "Name", "Status", "Executor", "Job id", "Time", "Latest metrics", "Local directory"],
    rows,
  )}`;
}

/** The first few latest metrics, short: `train.loss=0.0123 eval.acc=0.91 …`. */
function formatMetrics(metrics: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(metrics ?? {});
  if (entries.length === 0) return "-";
  const shown = entries
    .slice(0, 3)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toPrecision(4)}`);
  return shown.join(" ") + (entries.length > 3 ? " …" : "");
}

function durationOf(job: JobStatus): string {
  if (!job.startedAt) return "-";
  const end = job.endedAt ? Date.parse(job.endedAt) : Date.now();
  return formatDuration(end - Date.parse(job.startedAt));
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.length < path.length && !rel.startsWith("../..") ? rel : path;
}

/** What to type next, printed after a launch (NeMo-Run's goodbye message). */
export function goodbyeMessage(
  experimentId: string,
  jobNames: readonly string[],
  workspaceFlag: string,
  language: "typescript" | "python" = "typescript",
): string {
  const first = jobNames.length > 0 ? " 0" : "";
  const ws = workspaceFlag;
  const job = jobNames[0] ? JSON.stringify(jobNames[0]) : undefined;
  const code =
    language === "python"
      ? [
          "import labrun as run",
          `exp = run.Experiment.from_id("${experimentId}")`,
          "exp.status()  # overall status",
          job ? `exp.logs(${job})  # the log of a task` : "",
          job ? `exp.cancel(${job})  # cancel a task if still running` : "",
        ]
      : [
          `const exp = await Experiment.fromId("${experimentId}");`,
          "await exp.status(); // overall status",
          job ? `await exp.logs(${job}); // the log of a task` : "",
          job ? `await exp.cancel(${job}); // cancel a task if still running` : "",
        ];
  return [
    `# The experiment was run with the following tasks: ${JSON.stringify(jobNames)}`,
    "# You can inspect and reconstruct this experiment at a later point in time using:",
    ...code,
    "",
    "# From the command line:",
    `labrun experiment status ${experimentId}${ws}`,
    `labrun experiment logs ${experimentId}${first} --follow${ws}`,
    `labrun experiment cancel ${experimentId} --all${ws}`,
  ]
    .filter((line, i, all) => line !== "" || all[i - 1] !== "")
    .join("\n");
}

export function jobStatus(job: Job): JobStatus {
  const r = job.record;
  return {
    index: job.placement.index,
    name: job.name,
    task: job.task.name,
    state: r.state,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.exitCode === undefined ? {} : { exitCode: r.exitCode }),
    executor: job.executor.kind,
    ...(r.handle ? { jobId: r.handle } : {}),
    attempt: r.attempt,
    retries: r.retries ?? 0,
    tokens: (r.tokens ?? []).map((need) => `${need.name}×${need.count}`),
    dependencies: job.dependencies,
    directory: job.dir,
    ...(r.submittedAt ? { submittedAt: r.submittedAt } : {}),
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
  };
}

/** Status of a job that is not launched yet. */
export function plannedStatus(job: PlannedJob, index: number): JobStatus {
  return {
    index,
    name: job.name,
    task: job.task.name,
    state: "PENDING",
    executor: job.executor.kind,
    attempt: 0,
    retries: job.retries ?? 0,
    tokens: (job.tokens ?? []).map((need) => `${need.name}×${need.count}`),
    dependencies: job.dependencies,
    directory: "",
  };
}

/** The lines an attached run ends with: the outcome, where to look, and each failure with its logs command. */
export function endSummary(
  result: ExperimentResult,
  workspaceFlag: string,
): { level: LogLevel; text: string }[] {
  const completed = result.jobs.filter((job) => job.state === "COMPLETED").length;
  return [
    {
      level: result.ok ? "INFO" : "ERROR",
      text: `Experiment ${result.id} ${result.state}: ${completed}/${result.jobs.length} job(s) completed.`,
    },
    { level: "INFO", text: `Inspect it later with: labrun experiment status ${result.id}${workspaceFlag}` },
    ...result.jobs
      .filter((job) => job.state === "FAILED")
      .map((job) => ({
        level: "ERROR" as const,
        text: `  ${job.name} failed: ${job.reason ?? "?"} — see \`labrun experiment logs ${result.id} ${job.name}${workspaceFlag}\``,
      })),
  ];
}
