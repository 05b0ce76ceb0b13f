import type { Task } from "../config/task.js";
import type { DirtyGitAction } from "../config/yaml/configuration-base.js";
import type { JobState } from "../workspace/job-record.js";
import type { Executor } from "../executors/executor.js";
import type { Token, TokenNeed } from "../scheduler/token.js";
import type { LogLevel } from "./console-reporter.js";
import type { ExperimentPlugin } from "./plugin.js";

export interface ExperimentOptions {
  /** Executor for jobs added without one; default `new LocalExecutor()`. */
  readonly executor?: Executor;
  /** Experiment id; default `<title>_<YYYYMMDD-HHMMSS>`. */
  readonly id?: string;
  readonly logLevel?: LogLevel;
  /** Workspace root; default `$LABRUN_HOME` or `~/.labrun`. */
  readonly baseDir?: string;
  /** Print nothing but errors. */
  readonly cleanMode?: boolean;
  /** How often the driver samples CPU, memory, disk, network and GPUs into each running job's run (`system` stream); 0: never. Default 10 s. */
  readonly systemMetricsIntervalMs?: number;
  /**
   * What `run()` does when the git repository of the current directory has uncommitted changes
   * (experimaestro's `dirty_git`): `"error"` throws a `DirtyGitError` before anything is written, `"warn"`
   * prints a warning, `"ignore"` (the default) says nothing. The commit and the dirty flag are recorded anyway.
   */
  readonly dirtyGit?: DirtyGitAction;
  /** Called for every state change of a job this process drives (after it is on disk). */
  readonly onJobChange?: (change: JobChange) => void;
  /** Called for each output line of a tailed job (`tailLogs`), besides printing it. */
  readonly onLogLine?: (line: TailedLine) => void;
  /** Print tailed jobs' output (default true); false leaves it to `onLogLine`. */
  readonly printTails?: boolean;
  /** The language of the "inspect it later with" hint printed on detach (default `typescript`). */
  readonly hintLanguage?: "typescript" | "python";
}

/** The options `new Experiment()` takes, to refuse any other (a typo is an error, never ignored). */
export const experimentOptionNames = Object.keys({
  executor: true,
  id: true,
  logLevel: true,
  baseDir: true,
  cleanMode: true,
  systemMetricsIntervalMs: true,
  dirtyGit: true,
  onJobChange: true,
  onLogLine: true,
  printTails: true,
  hintLanguage: true,
} satisfies Record<keyof ExperimentOptions, true>) as readonly (keyof ExperimentOptions)[];

/** A job's state change, as `onJobChange` gets it. */
export interface JobChange {
  readonly name: string;
  readonly state: JobState;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly time: string;
}

/** An output line of a tailed job, as `onLogLine` gets it. */
export interface TailedLine {
  readonly job: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export interface AddOptions {
  /** One executor, or one per task when adding a list of tasks. */
  readonly executor?: Executor | readonly Executor[];
  /** The job id `add` returns; default the task's name (made unique). */
  readonly name?: string;
  readonly plugins?: readonly ExperimentPlugin[];
  /** Show this job's output while an attached run waits. */
  readonly tailLogs?: boolean;
  /** Ids returned by earlier `add` calls; this job starts when they have all COMPLETED. */
  readonly dependencies?: readonly string[];
  /** Workspace-wide concurrency tokens the job holds while it runs (a `Token` is one unit of it). */
  readonly tokens?: readonly (Token | TokenNeed)[];
  /** Run a reusable (typed) task again even when a COMPLETED job with the same identity exists. */
  readonly force?: boolean;
  /** Submit a failed attempt again, up to this many times (default 0). */
  readonly retries?: number;
  /** Wait before the first retry, doubled for each further one (default 1000 ms, at most 5 min). */
  readonly retryDelayMs?: number;
}

export interface RunOptions {
  /** Return once the jobs are submitted; a background supervisor keeps scheduling. */
  readonly detach?: boolean;
  /** Run jobs one after another in the order they were added. */
  readonly sequential?: boolean;
  /** Show every job's output while waiting. */
  readonly tailLogs?: boolean;
  /** Run every job in this process, one at a time (DirectExecutor). */
  readonly direct?: boolean;
  /** Run reusable (typed) tasks again even when COMPLETED jobs with their identities exist. */
  readonly force?: boolean;
}

export interface LogsOptions {
  readonly regex?: string | RegExp;
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** Print the lines as they come (default true, as NeMo-Run's `logs`). */
  readonly print?: boolean;
}

/**
 * A set of jobs launched together as a dependency graph (NeMo-Run's `run.Experiment`).
 *
 * @example
 * await using exp = new Experiment("mnist-sweep", { executor: new LocalExecutor() });
 * const prep = exp.add(new Script({ inline: "python prep.py" }), { name: "prep" });
 * exp.add(new Script({ path: "train.py", args: ["--lr=1e-3"] }), { name: "train", dependencies: [prep] });
 * const result = await exp.run({ tailLogs: true });
 */

export interface DryRunJob {
  readonly index: number;
  readonly name: string;
  /** The task's identity (sha256 of its canonical config). */
  readonly identity: string;
  readonly task: ReturnType<Task["toConfig"]>;
  readonly executor: ReturnType<Executor["toConfig"]>;
  readonly dependencies: readonly string[];
  readonly jobDir: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface ExperimentConfig {
  readonly title: string;
  readonly id: string;
  readonly jobs: readonly {
    readonly name: string;
    readonly task: ReturnType<Task["toConfig"]>;
    readonly executor: ReturnType<Executor["toConfig"]>;
    readonly dependencies: readonly string[];
    readonly group?: string;
  }[];
}
