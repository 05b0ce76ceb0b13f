import { dirname, join } from "node:path";
import { compileUserRegex } from "../util/user-regex.js";
import { rmdirSync, rmSync } from "node:fs";
import type { Task } from "../config/task.js";
import {
  CorruptRecordError,
  DuplicateJobNameError,
  ExperimentStateError,
  UnknownOptionError,
  InvalidExecutorError,
  UnknownExperimentError,
  UnknownJobError,
  UsageError,
} from "../errors.js";
import type { Executor } from "../executors/executor.js";
import { LocalExecutor } from "../executors/local/local-executor.js";
import type { Job } from "../scheduler/job.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import { Token, TokenSlots } from "../scheduler/token.js";
import { TypedTask } from "../config/define-task.js";
import { Workspace } from "../workspace/workspace.js";
import { gitInfo } from "../workspace/provenance.js";
import { checkDirtyGit } from "./git-check.js";
import { experimentOptionNames } from "./experiment-options.js";
import { ConsoleReporter } from "./console-reporter.js";
import { driveJobs } from "./experiment-drive.js";
import { indexExperiment } from "./experiment-index.js";
import { experimentIdFor, reserveExperimentDir } from "./experiment-id.js";
import type { ExperimentRecord, ExperimentState } from "./experiment-record.js";
import {
  findExperimentDir,
  listExperimentDirs,
  loadJobs,
  readExperimentRecord,
  saveExperimentRecord,
} from "./experiment-store.js";
import type { UnreadableJob } from "./experiment-store.js";
import type { OnRecordWarning } from "../util/record-warning.js";
import { latestMetrics } from "./job-runs.js";
import { jobDirFor, labrunEnvFor, plannedFromJob, resolvePlan, writeLaunchRecords } from "./launch-plan.js";
import type { PlannedJob } from "./launch-plan.js";
import { buildRunResult, recordRunResult } from "./run-results.js";
import type { ExperimentResult } from "./run-results.js";
import { endSummary, formatStatusTable, goodbyeMessage, jobStatus, plannedStatus } from "./status-report.js";
import type { JobStatus } from "./status-report.js";
import { startSupervisor } from "./supervisor.js";
import { cancelFromOutside, liveStatuses, settleIfUndriven } from "./undriven.js";
import type { UndrivenExperiment } from "./undriven.js";
import type {
  AddOptions,
  DryRunJob,
  ExperimentConfig,
  ExperimentOptions,
  LogsOptions,
  RunOptions,
} from "./experiment-options.js";

export class Experiment {
  readonly title: string;
  readonly workspace: Workspace;
  readonly options: Readonly<ExperimentOptions>;
  #id: string;
  #planned: PlannedJob[] = [];
  readonly #groups = new Map<string, string[]>();
  #dir: string | undefined;
  #record: ExperimentRecord | undefined;
  #jobs: Job[] | undefined;
  /** Jobs left out because their job.json cannot be read (a read-only view opened with `onUnreadableJob`). */
  #unreadable: readonly UnreadableJob[] = [];
  #scheduler: Scheduler | undefined;
  #running: Promise<ExperimentResult> | undefined;
  readonly #reporter: ConsoleReporter;

  constructor(title: string, options: ExperimentOptions = {}) {
    if (!title.trim()) throw new ExperimentStateError("An experiment needs a non-empty title.");
    checkExperimentOptions(options);
    this.title = title;
    this.options = Object.freeze({ ...options });
    this.workspace = new Workspace(options.baseDir);
    this.#id = options.id ?? experimentIdFor(title);
    this.#reporter = new ConsoleReporter({
      logLevel: options.logLevel ?? "INFO",
      cleanMode: options.cleanMode ?? false,
      ...(options.onLogLine ? { onLine: options.onLogLine } : {}),
      ...(options.printTails === false ? { printTails: false } : {}),
    });
  }

  /** Runs `fn` with a new experiment and disposes of it afterwards (waits for an attached run). */
  static async with<T>(
    title: string,
    options: ExperimentOptions,
    fn: (exp: Experiment) => Promise<T> | T,
  ): Promise<T> {
    const exp = new Experiment(title, options);
    try {
      return await fn(exp);
    } finally {
      await exp[Symbol.asyncDispose]();
    }
  }

  /**
   * Reconstructs a launched experiment from its directory, recording what happened while nobody watched.
   * With `onUnreadableJob`, a job whose job.json cannot be read is left out and named there instead of
   * failing with `CorruptRecordError`: the experiment can then be looked at (status, logs) but not changed.
   */
  static async fromId(
    id: string,
    options: Pick<ExperimentOptions, "baseDir" | "logLevel" | "cleanMode"> & ReadOnlyOpenOptions = {},
  ): Promise<Experiment> {
    const workspace = new Workspace(options.baseDir);
    const exp = Experiment.fromDir(findExperimentDir(workspace, id), options);
    // Settling writes job records; with some of them unreadable, nothing is written.
    if (exp.#unreadable.length === 0) await settleIfUndriven(exp.#outside());
    return exp;
  }

  /** The latest experiment with this title. */
  static async fromTitle(
    title: string,
    options: Pick<ExperimentOptions, "baseDir" | "logLevel" | "cleanMode"> = {},
  ): Promise<Experiment> {
    const workspace = new Workspace(options.baseDir);
    const latest = listExperimentDirs(workspace, title).at(-1);
    if (!latest) throw new UnknownExperimentError(title, workspace.root);
    const exp = Experiment.fromDir(latest, options);
    await settleIfUndriven(exp.#outside());
    return exp;
  }

  /** Ids of the experiments in the workspace (of one title when given), oldest first. */
  static catalog(title?: string, options: Pick<ExperimentOptions, "baseDir"> = {}): string[] {
    const workspace = new Workspace(options.baseDir);
    return listExperimentDirs(workspace, title).map((dir) => readExperimentRecord(dir)!.id);
  }

  /** @internal Opens a launched experiment by directory without reconciling it. */
  static fromDir(
    dir: string,
    options: Pick<ExperimentOptions, "logLevel" | "cleanMode"> & ReadOnlyOpenOptions = {},
  ): Experiment {
    const record = readExperimentRecord(dir);
    if (!record) throw new ExperimentStateError(`${dir} holds no experiment.json.`);
    const workspaceRoot = dirname(dirname(dirname(dir)));
    const { onUnreadableJob: onUnreadable, ...experimentOptions } = options;
    const exp = new Experiment(record.title, { ...experimentOptions, id: record.id, baseDir: workspaceRoot });
    exp.#dir = dir;
    exp.#record = record;
    const unreadable: UnreadableJob[] = [];
    exp.#jobs = loadJobs(
      exp.workspace,
      record,
      onUnreadable &&
        ((job) => {
          unreadable.push(job);
          onUnreadable(job);
        }),
    );
    exp.#unreadable = unreadable;
    return exp;
  }

  get id(): string {
    return this.#id;
  }

  /** The experiment's directory, once launched. */
  get dir(): string | undefined {
    return this.#dir;
  }

  get jobs(): readonly JobStatus[] {
    return this.#jobs
      ? this.#jobs.map((job) => jobStatus(job))
      : this.#planned.map((job, index) => plannedStatus(job, index));
  }

  get tasks(): readonly Task[] {
    return this.#jobs ? this.#jobs.map((job) => job.task) : this.#planned.map((job) => job.task);
  }

  /**
   * Adds a task (or a group of tasks run side by side) and returns its job id, to use in `dependencies`,
   * `cancel` and `logs`.
   */
  add(task: Task | readonly Task[], options: AddOptions = {}): string {
    if (this.#jobs)
      throw new ExperimentStateError(
        `Experiment ${this.id} is already launched; use reset() to run it again.`,
      );
    const tasks = Array.isArray(task) ? (task as readonly Task[]) : [task as Task];
    if (tasks.length === 0) throw new ExperimentStateError("add() needs at least one task.");
    // The same work twice is one job: a reusable task already in the experiment gives back its job id.
    const same =
      !Array.isArray(task) &&
      tasks[0]!.reusable &&
      this.#planned.find((job) => job.task.identity === tasks[0]!.identity);
    if (same) return same.name;
    const executors = this.#executorsFor(tasks.length, options.executor);
    // Tasks used as parameters are dependencies: added first (once) if they are not in the experiment yet.
    const implied = tasks.flatMap((each) => (each instanceof TypedTask ? each.dependencies() : []));
    const impliedIds = implied.map(
      (dependency) =>
        this.#planned.find((job) => job.task.identity === dependency.identity)?.name ??
        this.add(dependency, { executor: executors[0]! }),
    );
    const dependencies = [...new Set([...(options.dependencies ?? []), ...impliedIds])];
    const name = this.#uniqueName(options.name, tasks[0]!.name, Array.isArray(task));
    const plugins = options.plugins ?? [];
    if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0))
      throw new ExperimentStateError(`retries must be a whole number ≥ 0, got ${options.retries}.`);
    const members = tasks.map((each, i) => {
      let memberTask = each;
      let executor = executors[i]!;
      for (const plugin of plugins) {
        const changed = plugin.setup?.(memberTask, executor);
        memberTask = changed?.task ?? memberTask;
        executor = changed?.executor ?? executor;
      }
      memberTask.validate();
      return {
        name: Array.isArray(task) ? `${name}-${i}` : name,
        task: memberTask,
        executor,
        dependencies,
        tailLogs: options.tailLogs ?? false,
        plugins,
        ...(Array.isArray(task) ? { group: name } : {}),
        ...(options.retries ? { retries: options.retries } : {}),
        ...(options.tokens?.length
          ? { tokens: options.tokens.map((token) => (token instanceof Token ? token.dependency(1) : token)) }
          : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        ...(options.force ? { force: true } : {}),
      };
    });
    for (const member of members)
      if (this.#planned.some((job) => job.name === member.name)) throw new DuplicateJobNameError(member.name);
    this.#planned.push(...members);
    if (Array.isArray(task))
      this.#groups.set(
        name,
        members.map((m) => m.name),
      );
    return name;
  }

  /** Launches the jobs. Resolves when they have all ended (or, with `detach`, once they are submitted). */
  async run(options: RunOptions = {}): Promise<ExperimentResult> {
    if (this.#running) throw new ExperimentStateError(`Experiment ${this.id} is already running.`);
    if (this.#jobs)
      throw new ExperimentStateError(`Experiment ${this.id} was already launched; use resume() or reset().`);
    if (this.#planned.length === 0) throw new ExperimentStateError("Nothing to run: add() tasks first.");
    const planned = resolvePlan(this.#planned, this.#groups, options);
    if (options.detach && options.direct)
      throw new ExperimentStateError(
        "`direct` runs jobs inside this process, so it cannot `detach`; choose one.",
      );
    if (options.detach && planned.some((job) => !job.executor.survivesDriver))
      throw new InvalidExecutorError(
        "Some jobs use an executor that cannot outlive this process (DirectExecutor); don't detach.",
      );
    checkDirtyGit(gitInfo(process.cwd()), this.options.dirtyGit ?? "ignore", {
      where: "the Experiment's `dirtyGit` option",
      runs: true,
      warn: (message) => this.#reporter.log("WARN", message),
    });
    this.#launch(planned, options);
    const tailAll = options.tailLogs ?? false;
    const tails = new Set(planned.filter((job) => tailAll || job.tailLogs).map((job) => job.name));
    this.#running = options.detach ? this.#detach() : this.#drive({ interactive: true, tails });
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  /** Takes over a launched experiment: records jobs that ended, watches running ones, starts pending ones. */
  async resume(
    options: { detach?: boolean; tailLogs?: boolean; asSupervisor?: boolean } = {},
  ): Promise<ExperimentResult> {
    if (!this.#jobs) throw new ExperimentStateError(`Experiment ${this.id} was never launched; call run().`);
    if (this.#running) throw new ExperimentStateError(`Experiment ${this.id} is already running.`);
    this.#refuseIfPartial();
    this.#running = options.detach
      ? this.#detach()
      : this.#drive({
          interactive: !options.asSupervisor,
          supervisor: options.asSupervisor ?? false,
          tails: new Set(options.tailLogs ? this.#jobs.map((j) => j.name) : []),
        });
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  /**
   * Prints the status table, or with `returnDict` returns the status of each job by name. `onWarning` hears
   * of each job's run whose files cannot be read (its metrics are then left out).
   */
  async status(options: {
    returnDict: true;
    onWarning?: OnRecordWarning;
  }): Promise<Record<string, JobStatus>>;
  async status(options?: { returnDict?: false; onWarning?: OnRecordWarning }): Promise<string>;
  async status(
    options: { returnDict?: boolean; onWarning?: OnRecordWarning } = {},
  ): Promise<Record<string, JobStatus> | string> {
    const states = !this.#jobs
      ? this.#planned.map((job, index) => plannedStatus(job, index))
      : this.#scheduler
        ? this.#jobs.map((job) => jobStatus(job))
        : await liveStatuses(this.#jobs);
    const jobs = states.map((job) =>
      job.directory ? { ...job, metrics: latestMetrics(job.directory, options.onWarning) } : job,
    );
    if (options.returnDict) return Object.fromEntries(jobs.map((job) => [job.name, job]));
    const table = formatStatusTable(this.id, jobs);
    if (!this.options.cleanMode) console.log(table);
    return table;
  }

  /** Cancels a job (or a group) and, through the graph, its dependents. */
  async cancel(jobId: string): Promise<void> {
    await this.#cancelNames(this.#resolveJobNames(jobId), "cancelled by user");
  }

  async cancelAll(): Promise<void> {
    await this.#cancelNames(
      this.#launchedJobs().map((job) => job.name),
      "cancelled by user",
    );
  }

  /** A job's output lines (stdout then stderr), filtered by `regex`; `follow` keeps reading until it ends. */
  async logs(jobId: string, options: LogsOptions = {}): Promise<string[]> {
    const lines: string[] = [];
    for await (const { line } of this.logStream(jobId, options)) {
      lines.push(line);
      if (options.print ?? true) console.log(line);
    }
    return lines;
  }

  /** The lines of `logs` as they come, with the job and stream each belongs to. */
  async *logStream(
    jobId: string,
    options: Omit<LogsOptions, "print"> = {},
  ): AsyncGenerator<{ job: string; stream: "stdout" | "stderr"; line: string }> {
    const regex = typeof options.regex === "string" ? compileUserRegex(options.regex) : options.regex;
    for (const name of this.#resolveJobNames(jobId)) {
      const job = this.#launchedJobs().find((j) => j.name === name)!;
      // Following a job that has not started yet: wait for it to start (or to be cancelled).
      while (
        options.follow &&
        !this.#scheduler &&
        !options.signal?.aborted &&
        (job.state === "PENDING" ||
          job.state === "WAITING" ||
          (job.state === "SUBMITTED" && !job.record.handle))
      ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        job.refresh();
      }
      const source = job.executor.logs(
        { jobDir: job.dir, handle: job.record.handle },
        { follow: options.follow ?? false, ...(options.signal ? { signal: options.signal } : {}) },
      );
      for await (const { stream, line } of source)
        if (!regex || regex.test(line)) yield { job: name, stream, line };
    }
  }

  /** What `run` would do, without starting anything. */
  async dryrun(
    options: { log?: boolean; existOk?: boolean; deleteExpDir?: boolean } = {},
  ): Promise<DryRunJob[]> {
    const planned = resolvePlan(this.#planned, this.#groups, {});
    const { dir, id, created } = reserveExperimentDir(this.workspace, this.title, this.#id, {
      fixedId: this.options.id !== undefined,
      existOk: options.existOk ?? false,
    });
    const plan = planned.map((job, index): DryRunJob => {
      const jobDir = jobDirFor(this.workspace, job, id);
      const spec = job.task.launchSpec({ jobDir, jobName: job.name });
      return {
        index,
        name: job.name,
        identity: job.task.identity,
        task: job.task.toConfig(),
        executor: job.executor.toConfig(),
        dependencies: [...job.dependencies],
        jobDir,
        argv: [...spec.argv],
        cwd: spec.cwd,
        env: { ...spec.env },
      };
    });
    if (options.log ?? true)
      for (const job of plan)
        console.log(
          `[${job.index}] ${job.name} on ${job.executor.kind}${job.dependencies.length ? ` after ${job.dependencies.join(", ")}` : ""}\n    ${job.argv.join(" ")}\n    in ${job.cwd}`,
        );
    // Only a directory this dry run created is removed: never an experiment that exists.
    if ((options.deleteExpDir ?? true) && created) {
      rmSync(dir, { recursive: true, force: true });
      removeIfEmpty(dirname(dir)); // the title's folder, when this dry run created it too
    }
    return plan;
  }

  /** A new, unlaunched experiment with the same title and jobs (to run them again). */
  reset(): Experiment {
    const { id: _oldId, ...options } = this.options;
    const fresh = new Experiment(this.title, options);
    fresh.#planned = this.#plan().map((job) => ({ ...job, tailLogs: false, plugins: [] }));
    for (const job of fresh.#planned)
      if (job.group) fresh.#groups.set(job.group, [...(fresh.#groups.get(job.group) ?? []), job.name]);
    return fresh;
  }

  toConfig(): ExperimentConfig {
    const jobs = this.#plan().map((job) => ({
      name: job.name,
      task: job.task.toConfig(),
      executor: job.executor.toConfig(),
      dependencies: [...job.dependencies],
      ...(job.group ? { group: job.group } : {}),
    }));
    return { title: this.title, id: this.id, jobs };
  }

  /** The jobs as planned: those added, or, once launched, those launched. */
  #plan(): readonly PlannedJob[] {
    return this.#jobs ? this.#jobs.map(plannedFromJob) : this.#planned;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#running) await this.#running.catch(() => undefined);
    if (!this.#jobs && this.#planned.length > 0)
      this.#reporter.log(
        "WARN",
        `Experiment ${this.title}: ${this.#planned.length} job(s) were added but run() was never called.`,
      );
  }

  // ---- launching ----

  #executorsFor(count: number, given: AddOptions["executor"]): Executor[] {
    const fallback = this.options.executor ?? (this.#defaultExecutor ??= new LocalExecutor());
    if (given === undefined) return Array.from({ length: count }, () => fallback);
    if (!Array.isArray(given)) return Array.from({ length: count }, () => given as Executor);
    if (given.length !== count)
      throw new InvalidExecutorError(
        `Got ${given.length} executors for ${count} tasks; give one executor, or one per task.`,
      );
    return [...(given as readonly Executor[])];
  }
  #defaultExecutor: Executor | undefined;

  #uniqueName(explicit: string | undefined, fallback: string, group: boolean): string {
    const taken = (name: string) =>
      this.#groups.has(name) || this.#planned.some((job) => job.name === name || job.group === name);
    if (explicit !== undefined) {
      if (!explicit.trim()) throw new ExperimentStateError("A job name cannot be empty.");
      if (taken(explicit)) throw new DuplicateJobNameError(explicit);
      return explicit;
    }
    const base = group ? `${fallback}-group` : fallback;
    let name = base;
    for (let n = 1; taken(name); n++) name = `${base}-${n}`;
    return name;
  }

  /** Writes experiment.json and every job.json (PENDING) before anything starts. */
  #launch(planned: readonly PlannedJob[], options: RunOptions): void {
    const { id, dir } = reserveExperimentDir(this.workspace, this.title, this.#id, {
      fixedId: this.options.id !== undefined,
    });
    this.#id = id;
    const launched = writeLaunchRecords(this.workspace, this.title, id, dir, planned, options);
    this.#record = launched.record;
    this.#dir = dir;
    this.#jobs = launched.jobs;
  }

  async #detach(): Promise<ExperimentResult> {
    const pid = await startSupervisor(this.#dir!, this.workspace.root);
    for (const job of this.#jobs!) job.refresh(); // the supervisor has moved them on
    this.#reporter.log("DEBUG", `supervisor pid ${pid}`);
    this.#reporter.log(
      "INFO",
      goodbyeMessage(
        this.id,
        this.#jobs!.map((j) => j.name),
        this.#workspaceFlag(),
        this.options.hintLanguage,
      ),
    );
    return this.#result(true);
  }

  async #drive(mode: {
    interactive: boolean;
    supervisor?: boolean;
    tails: ReadonlySet<string>;
  }): Promise<ExperimentResult> {
    const dir = this.#dir!;
    const jobs = this.#jobs!;
    const alreadyOver = jobs.every((job) => job.isTerminal);
    const { detachRequested } = await driveJobs({
      id: this.id,
      dir,
      jobs,
      workspace: this.workspace,
      reporter: this.#reporter,
      tokens: this.#tokenSlots(),
      labrunEnv: (job) => this.#labrunEnv(job),
      systemMetricsIntervalMs: this.options.systemMetricsIntervalMs ?? 10_000,
      interactive: mode.interactive,
      ...(mode.supervisor ? { supervisor: true } : {}),
      tails: mode.tails,
      onScheduler: (scheduler) => (this.#scheduler = scheduler),
      ...(this.options.onJobChange ? { onJobChange: this.options.onJobChange } : {}),
    });
    if (detachRequested) {
      await startSupervisor(dir, this.workspace.root);
      this.#reporter.log("WARN", `Left ${jobs.filter((j) => !j.isTerminal).length} job(s) running detached.`);
      this.#reporter.log(
        "INFO",
        goodbyeMessage(
          this.id,
          jobs.map((j) => j.name),
          this.#workspaceFlag(),
          this.options.hintLanguage,
        ),
      );
      return this.#result(true);
    }
    if (!alreadyOver) {
      this.#record = { ...this.#record!, finishedAt: new Date().toISOString() };
      saveExperimentRecord(dir, this.#record);
      indexExperiment(this.workspace, dir); // the listing finds the end without reading the file again
    }
    const result = this.#result(false);
    for (const plugin of new Set(this.#planned.flatMap((job) => job.plugins)))
      await plugin.teardown?.({ id: this.id, ok: result.ok });
    if (!mode.supervisor) this.#reportEnd(result);
    return result;
  }

  #labrunEnv(job: Job): Record<string, string> {
    const { title, user } = this.#record!;
    return labrunEnvFor(this.workspace, { id: this.id, title, user, dir: this.#dir! }, job);
  }

  #tokenSlots(): TokenSlots {
    return new TokenSlots(join(this.workspace.root, "tokens"));
  }

  /** This launched experiment, for the operations of a process that does not drive it. */
  #outside(): UndrivenExperiment {
    return {
      id: this.id,
      dir: this.#dir!,
      jobs: this.#launchedJobs(),
      labrunEnv: (job) => this.#labrunEnv(job),
      tokens: this.#tokenSlots(),
    };
  }

  #reportEnd(result: ExperimentResult): void {
    for (const { level, text } of endSummary(result, this.#workspaceFlag())) this.#reporter.log(level, text);
  }

  /** ` --workspace DIR` when commands printed for the user need it to find this experiment. */
  #workspaceFlag(): string {
    return this.workspace.root === new Workspace().root ? "" : ` --workspace ${this.workspace.root}`;
  }

  #result(detached: boolean): ExperimentResult {
    return recordRunResult(buildRunResult(this.id, this.title, this.#dir!, this.#jobs!, detached));
  }

  // ---- inspecting and cancelling launched experiments ----

  #launchedJobs(): Job[] {
    if (!this.#jobs)
      throw new ExperimentStateError(`Experiment ${this.id} has not been launched yet; call run() first.`);
    return this.#jobs;
  }

  #resolveJobNames(jobId: string | number): string[] {
    const jobs = this.#launchedJobs();
    const key = String(jobId);
    const byName = jobs.filter((job) => job.name === key || job.placement.group === key);
    if (byName.length > 0) return byName.map((job) => job.name);
    const byIndex = /^\d+$/.test(key) ? jobs.find((job) => job.placement.index === Number(key)) : undefined;
    if (byIndex) return [byIndex.name];
    const damaged = this.#unreadable.find((job) => job.name === key || String(job.index) === key);
    if (damaged) throw new CorruptRecordError(damaged.file, damaged.problem);
    throw new UnknownJobError(
      key,
      this.id,
      jobs.map((job) => job.name),
    );
  }

  /** An experiment opened without some of its job records is only looked at: nothing may be written. */
  #refuseIfPartial(): void {
    const first = this.#unreadable[0];
    if (first) throw new CorruptRecordError(first.file, first.problem);
  }

  async #cancelNames(names: string[], reason: string): Promise<void> {
    this.#refuseIfPartial();
    if (this.#scheduler) return this.#scheduler.cancel(names, reason);
    await cancelFromOutside(this.#outside(), names, reason);
  }
}

/** Opening a launched experiment to look at it even when some of its job records cannot be read. */
export interface ReadOnlyOpenOptions {
  /** Hears each job left out because its job.json cannot be read (without it, that is a CorruptRecordError). */
  readonly onUnreadableJob?: (job: UnreadableJob) => void;
}

export type { AddOptions, DryRunJob, ExperimentConfig, ExperimentOptions, LogsOptions, RunOptions };
export type { ExperimentResult, ExperimentState };

function checkExperimentOptions(options: ExperimentOptions): void {
  const unknown = Object.keys(options).filter(
    (key) => !(experimentOptionNames as readonly string[]).includes(key),
  );
  if (unknown.length > 0) throw new UnknownOptionError("new Experiment()", unknown, experimentOptionNames);
  const dirtyGit = options.dirtyGit;
  if (dirtyGit !== undefined && !["error", "warn", "ignore"].includes(dirtyGit))
    throw new UsageError(
      `Experiment option dirtyGit is "${String(dirtyGit)}"; use "error", "warn" or "ignore" (DirtyGitAction).`,
      { details: { dirtyGit } },
    );
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (other experiments of this title), or already gone
  }
}
