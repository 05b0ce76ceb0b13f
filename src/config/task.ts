/**
 * What an executor needs to know about a unit of work. `Script` and `Partial` implement it, and so will
 * typed tasks from `defineTask`. A task is immutable: plugins that change it return a new one.
 */
export interface Task {
  /** Registry key used to rebuild the task from its config (`script`, `partial`, …). */
  readonly kind: string;
  /** Default job name and the folder under `jobs/` that holds its job directories. */
  readonly name: string;
  /** sha256 of the task's canonical config. */
  readonly identity: string;
  /** True when a COMPLETED job with the same identity may be reused instead of run again. */
  readonly reusable: boolean;
  /** JSON-serialisable description, enough for `taskFromConfig` to rebuild an equal task. */
  toConfig(): TaskConfig;
  /** Throws `TaskCannotStartError` when the task could not start (missing file, unknown interpreter). */
  validate(): void;
  /** The process to start, for executors that start one. */
  launchSpec(context: LaunchContext): LaunchSpec;
  /** For the direct executor: run in the driver's own process instead of a child, when the task can. */
  runInProcess?(context: LaunchContext): Promise<void>;
  /** A copy with extra environment variables and arguments (what plugins use). */
  with(changes: TaskChanges): Task;
}

export interface TaskConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export interface TaskChanges {
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
}

export interface LaunchContext {
  readonly jobDir: string;
  readonly jobName: string;
}

export interface LaunchSpec {
  /** Program and arguments, run without a shell. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Files the task needs in its job directory before it starts (an inline script, call arguments). */
  readonly files: readonly { readonly name: string; readonly content: string }[];
}
