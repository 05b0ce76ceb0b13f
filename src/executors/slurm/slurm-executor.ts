import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { InvalidExecutorError, PackagingError } from "../../errors.js";
import type {
  Executor,
  ExecutorConfig,
  ExecutorJobStatus,
  JobRef,
  JobSubmission,
  LogLine,
  LogOptions,
} from "../executor.js";
import { jobFile } from "../job-files.js";
import { packagerFromConfig } from "../packaging/packager-kinds.js";
import type { Packager, PackagerConfig } from "../packaging/packager.js";
import { LocalTunnel } from "../tunnel/local-tunnel.js";
import { chunks, defaultMaxArraySize, maxArraySize } from "./array-limit.js";
import { quote } from "../tunnel/process-run.js";
import { tunnelFromConfig } from "../tunnel/tunnel-kinds.js";
import type { Tunnel, TunnelConfig } from "../tunnel/tunnel.js";
import { PathMap } from "./path-map.js";
import type { SlurmResources } from "./sbatch-script.js";
import { SlurmCanceller } from "./slurm-cancel.js";
import { slurmLogs } from "./slurm-logs.js";
import { SlurmPoller } from "./slurm-poller.js";
import { submitArrayJobs, submitSingle, writeLocalFiles } from "./slurm-submit.js";
import type { PreparedJob } from "./slurm-submit.js";

export interface SlurmExecutorOptions extends Omit<SlurmResources, "setupLines"> {
  /** Slurm job name; default: the job's name in the experiment. */
  readonly jobName?: string;
  /** Jobs of the same shape ready together go as one job array (default true); `throttle` caps running elements (`%`). */
  readonly array?: boolean | { readonly throttle?: number };
  /** Shell lines run in the sbatch script before the job (module loads, a virtualenv). */
  readonly setupLines?: string | readonly string[];
  /** Environment variables added to every job. */
  readonly env?: Readonly<Record<string, string>>;
  /** How to reach the cluster; default `new LocalTunnel()` (Slurm's commands on this machine). */
  readonly tunnel?: Tunnel;
  /** Code to copy to the cluster once per experiment; jobs then run from that copy. */
  readonly packager?: Packager;
  /** Jobs of this executor in Slurm's queue at once; default: no limit of labrun's own. */
  readonly maxParallel?: number;
  /**
   * Resumable jobs: a job Slurm kills at its time limit is requeued up to this many times (default 0), to
   * resume from its own checkpoint; LABRUN_RESUME_COUNT tells it which resume this is (0 on the first run).
   */
  readonly resumeOnTimeout?: number;
}

/**
 * Runs each job as a Slurm batch job (sbatch), locally on a login node or through an SSH tunnel, as
 * NeMo-Run's SlurmExecutor does. Dependencies are held by Slurm (`--dependency=afterok`), jobs of the same
 * shape ready together go as one job array, and status comes from one squeue call per poll.
 *
 * @example
 * const executor = new SlurmExecutor({ partition: "gpu", gpusPerNode: 1, time: "02:00:00", mem: "16G" });
 * exp.add(train, { executor });
 */
export class SlurmExecutor implements Executor {
  readonly kind = "slurm";
  readonly survivesDriver = true;
  readonly options: Readonly<Omit<SlurmExecutorOptions, "tunnel" | "packager" | "setupLines">> & {
    readonly setupLines: readonly string[];
  };
  readonly tunnel: Tunnel;
  readonly packager: Packager | undefined;
  readonly #poller: SlurmPoller;
  readonly #canceller: SlurmCanceller;
  readonly #shipped = new Map<string, Promise<string>>();
  #maxArraySize: Promise<number> | undefined;

  constructor(options: SlurmExecutorOptions = {}) {
    for (const key of ["nodes", "ntasksPerNode", "cpusPerTask", "gpusPerNode", "maxParallel"] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value < (key === "gpusPerNode" ? 0 : 1)))
        throw new InvalidExecutorError(`SlurmExecutor \`${key}\` must be a whole number ≥ 1, got ${value}.`);
    }
    const resumes = options.resumeOnTimeout;
    if (resumes !== undefined && (!Number.isInteger(resumes) || resumes < 0))
      throw new InvalidExecutorError(
        `SlurmExecutor \`resumeOnTimeout\` must be a whole number ≥ 0, got ${resumes}.`,
      );
    const throttle = typeof options.array === "object" ? options.array.throttle : undefined;
    if (throttle !== undefined && (!Number.isInteger(throttle) || throttle < 1))
      throw new InvalidExecutorError(
        `SlurmExecutor \`array.throttle\` must be a whole number ≥ 1, got ${throttle}.`,
      );
    const { tunnel, packager, setupLines, ...rest } = options;
    this.tunnel = tunnel ?? new LocalTunnel();
    this.packager = packager;
    this.options = Object.freeze({
      ...rest,
      env: Object.freeze({ ...(options.env ?? {}) }),
      setupLines: Object.freeze(typeof setupLines === "string" ? [setupLines] : [...(setupLines ?? [])]),
    });
    this.#poller = new SlurmPoller(this.tunnel, options.resumeOnTimeout ?? 0);
    this.#canceller = new SlurmCanceller(this.tunnel, this.#poller);
  }

  get maxParallel(): number {
    return this.options.maxParallel ?? 1_000_000;
  }

  /** Slurm commands this instance has run to learn job states (squeue, scontrol, sacct): for benchmarks and tests. */
  get statusCommands(): number {
    return this.#poller.commands;
  }

  /**
   * Jobs on the same cluster wait for each other in Slurm, not in the driver; except around resumable jobs:
   * a TIMEOUT fails an afterok dependency for good in Slurm, even when the job is resumed afterwards.
   */
  get nativeDependencies(): string | undefined {
    return this.options.resumeOnTimeout ? undefined : `slurm@${this.tunnel.endpoint}`;
  }

  toConfig(): ExecutorConfig {
    return {
      kind: this.kind,
      ...this.options,
      env: { ...this.options.env },
      setupLines: [...this.options.setupLines],
      tunnel: this.tunnel.toConfig(),
      ...(this.packager ? { packager: this.packager.toConfig() } : {}),
    };
  }

  with(changes: { readonly env?: Readonly<Record<string, string>> }): SlurmExecutor {
    return new SlurmExecutor({
      ...this.options,
      env: { ...this.options.env, ...changes.env },
      tunnel: this.tunnel,
      ...(this.packager ? { packager: this.packager } : {}),
    });
  }

  async submit(job: JobSubmission): Promise<string> {
    const prepared = await this.#prepare(job);
    return submitSingle(this.tunnel, prepared, this.#resources(), this.options.jobName ?? job.jobName);
  }

  /**
   * Submits jobs as job arrays, one per set of jobs with the same dependencies (a single job goes alone), cut
   * into the fewest arrays the cluster's MaxArraySize allows (asked once). All or nothing: when one sbatch is
   * refused, what the others submitted is cancelled before the error is thrown.
   */
  async submitArray(jobs: readonly JobSubmission[]): Promise<string[]> {
    const groups = new Map<string, number[]>();
    jobs.forEach((job, index) => {
      const key = this.options.array === false ? String(index) : [...(job.dependsOn ?? [])].sort().join(":");
      groups.set(key, [...(groups.get(key) ?? []), index]);
    });
    const handles: string[] = new Array(jobs.length);
    const throttle = typeof this.options.array === "object" ? this.options.array.throttle : undefined;
    const submitGroup = async (indexes: readonly number[]) => {
      const members = indexes.map((i) => jobs[i]!);
      const prepared: PreparedJob[] = [];
      for (const member of members) prepared.push(await this.#prepare(member));
      const name = this.options.jobName ?? members[0]!.jobName;
      const ids =
        members.length === 1
          ? [await submitSingle(this.tunnel, prepared[0]!, this.#resources(), name)]
          : await submitArrayJobs(this.tunnel, prepared, this.#resources(), name, throttle);
      indexes.forEach((jobIndex, k) => (handles[jobIndex] = ids[k]!));
    };
    const grouped = [...groups.values()];
    const limit = grouped.some((indexes) => indexes.length > 1)
      ? await (this.#maxArraySize ??= maxArraySize(this.tunnel))
      : defaultMaxArraySize;
    const outcomes = await Promise.allSettled(
      grouped.flatMap((indexes) => chunks(indexes, limit)).map(submitGroup),
    );
    const refused = outcomes.find((outcome) => outcome.status === "rejected");
    if (refused) {
      const submitted = [...new Set(handles.filter(Boolean).map((handle) => handle.split("_")[0]!))];
      if (submitted.length > 0) await this.tunnel.exec(`scancel ${submitted.join(" ")}`);
      throw (refused as PromiseRejectedResult).reason;
    }
    return handles;
  }

  status(jobs: readonly JobRef[]): Promise<ExecutorJobStatus[]> {
    return this.#poller.status(jobs);
  }

  cancel(job: JobRef): Promise<void> {
    return this.#canceller.cancel(job);
  }

  logs(job: JobRef, options: LogOptions = {}): AsyncIterable<LogLine> {
    return slurmLogs(this.tunnel, job, options, async () => {
      if (existsSync(join(job.jobDir, jobFile.exitCode)) && this.tunnel.sharedFilesystem) return true;
      const [status] = await this.status([job]);
      return status !== undefined && status.state !== "RUNNING" && status.state !== "PENDING";
    });
  }

  onChange(): () => void {
    // Slurm tells nobody when a job changes: the scheduler's polling is all there is.
    return () => undefined;
  }

  #resources(): SlurmResources {
    const { account, partition, nodes, ntasksPerNode, cpusPerTask, gpusPerNode, mem, time, exclusive } =
      this.options;
    return {
      ...(account === undefined ? {} : { account }),
      ...(partition === undefined ? {} : { partition }),
      ...(nodes === undefined ? {} : { nodes }),
      ...(ntasksPerNode === undefined ? {} : { ntasksPerNode }),
      ...(cpusPerTask === undefined ? {} : { cpusPerTask }),
      ...(gpusPerNode === undefined ? {} : { gpusPerNode }),
      ...(mem === undefined ? {} : { mem }),
      ...(time === undefined ? {} : { time }),
      ...(exclusive === undefined ? {} : { exclusive }),
      ...(this.options.resumeOnTimeout ? { requeue: true } : {}),
      ...(this.options.additionalParameters
        ? { additionalParameters: this.options.additionalParameters }
        : {}),
      setupLines: this.options.setupLines,
    };
  }

  /** The job as the cluster sees it, with its files written (and its code shipped, once per experiment). */
  async #prepare(job: JobSubmission): Promise<PreparedJob> {
    const { nodes = 1, ntasksPerNode = 1 } = this.options;
    // Several tasks (multi-node, or several per node): srun starts one copy of the command per task.
    const argv =
      nodes * ntasksPerNode > 1 ? ["srun", "--kill-on-bad-exit=1", ...job.spec.argv] : job.spec.argv;
    const withEnv: JobSubmission = {
      ...job,
      spec: { ...job.spec, argv, env: { ...this.options.env, ...job.spec.env } },
    };
    const remoteDir = this.tunnel.remoteJobDir(job.jobDir);
    const pairs: [string, string][] = [[job.jobDir, remoteDir]];
    const home = job.labrunEnv.LABRUN_HOME;
    if (this.tunnel.remoteRoot && home) pairs.push([home, this.tunnel.remoteRoot]);
    let cwd: string | undefined;
    let codeEnv: Record<string, string> = {};
    if (this.packager) {
      const codeDir = await this.#ship(job, new PathMap(pairs));
      pairs.push([this.packager.root, codeDir]);
      const under = job.spec.cwd === this.packager.root || job.spec.cwd.startsWith(`${this.packager.root}/`);
      if (!under) cwd = codeDir;
      codeEnv = { LABRUN_CODE_DIR: codeDir };
    }
    const map = new PathMap(pairs);
    const remote = map.submission(
      { ...withEnv, labrunEnv: { ...withEnv.labrunEnv, ...codeEnv } },
      remoteDir,
      cwd,
    );
    const prepared = { local: withEnv, remote };
    writeLocalFiles(prepared);
    return prepared;
  }

  /** Copies the packaged code to `<experiment dir>/code` on the cluster, once per experiment (any process). */
  #ship(job: JobSubmission, map: PathMap): Promise<string> {
    const experimentDir = job.labrunEnv.LABRUN_EXPERIMENT_DIR;
    const codeDir = experimentDir
      ? `${map.map(experimentDir)}/code`
      : `${dirname(this.tunnel.remoteJobDir(job.jobDir))}/code-${job.experimentId}`;
    let shipping = this.#shipped.get(codeDir);
    if (!shipping) {
      shipping = (async () => {
        const marker = `${codeDir}/.labrun-code-complete`;
        const present = await this.tunnel.exec(`test -f ${quote(marker)}`);
        if (present.code === 0) return codeDir;
        const archive = await this.packager!.archive();
        const result = await this.tunnel.exec(
          `rm -rf ${quote(codeDir)} && mkdir -p ${quote(codeDir)} && tar -x -m -C ${quote(codeDir)} && touch ${quote(marker)}`,
          { input: archive },
        );
        if (result.code !== 0)
          throw new PackagingError(
            `Copying the code to ${codeDir} on the cluster failed: ${result.stderr.trim()}`,
          );
        return codeDir;
      })();
      shipping.catch(() => this.#shipped.delete(codeDir));
      this.#shipped.set(codeDir, shipping);
    }
    return shipping;
  }
}

/** Rebuilds a Slurm executor, its tunnel and packager included, from its config (the `slurm` kind). */
export function slurmExecutorFromConfig(config: ExecutorConfig): SlurmExecutor {
  const { tunnel, packager, ...rest } = config as unknown as SlurmExecutorOptions & {
    tunnel?: TunnelConfig;
    packager?: PackagerConfig;
  };
  return new SlurmExecutor({
    ...rest,
    ...(tunnel ? { tunnel: tunnelFromConfig(tunnel) } : {}),
    ...(packager ? { packager: packagerFromConfig(packager) } : {}),
  });
}
