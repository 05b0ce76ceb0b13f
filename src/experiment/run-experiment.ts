import { dirname, extname } from "node:path";
import { pathToFileURL } from "node:url";
import { loadYamlConfig } from "../config/yaml/config-loader.js";
import type { LoadedConfig } from "../config/yaml/config-loader.js";
import { ConfigurationBase, checkBaseConfig } from "../config/yaml/configuration-base.js";
import { resolveExperimentEntry, resolvePreExperiment } from "../config/yaml/entry.js";
import { validateConfiguration } from "../config/yaml/validate.js";
import type { ConfigurationSchema } from "../config/yaml/validate.js";
import type { ConfigMap } from "../config/yaml/yaml-layer.js";
import { displayFile } from "../config/yaml/yaml-layer.js";
import { ExperimentFileError, isLabrunError } from "../errors.js";
import type { Executor } from "../executors/executor.js";
import { needsTypeScriptLoader } from "../util/node-entry.js";
import type { LogLevel } from "./console-reporter.js";
import { ExperimentHelper } from "./experiment-helper.js";
import { gitInfo } from "../workspace/provenance.js";
import { checkDirtyGit } from "./git-check.js";
import { buildInformations, writeInformations } from "./informations.js";
import { generateJobScripts, listPlannedJobs } from "./planned-jobs.js";
import type { GeneratedJob, PlannedJobInfo } from "./planned-jobs.js";
import { parseRunMode } from "./run-mode.js";
import type { RunMode } from "./run-mode.js";
import type { ExperimentResult } from "./run-results.js";
import { YamlExperiment } from "./yaml-experiment.js";
import { loadPythonExperiment } from "./plan/python-experiment.js";
import { Workspace } from "../workspace/workspace.js";
import { endMockModules } from "./mock-modules/mock-modules.js";
import { keepServicesUp, StopRequest } from "./services/stop-request.js";
import { serviceUrl } from "./services/web-service.js";

export interface RunExperimentOptions {
  /** The main YAML file. */
  readonly yamlFile: string;
  readonly preYaml?: readonly string[];
  readonly postYaml?: readonly string[];
  /** `key.path=value` overrides (OmegaConf dotlist syntax), applied last. */
  readonly overrides?: readonly string[];
  /** NORMAL (default), DRY_RUN or GENERATE; case and `-`/`_` don't matter. */
  readonly runMode?: RunMode | string;
  /** Workspace root; default `$LABRUN_HOME` or `~/.labrun`. */
  readonly workspace?: string;
  /** Executor for jobs added without one (default a LocalExecutor). */
  readonly executor?: Executor;
  readonly logLevel?: LogLevel;
  readonly cleanMode?: boolean;
  /** Where warnings go (dirty git, no jobs, failing services); default stderr. */
  readonly warn?: (message: string) => void;
  /**
   * NORMAL mode: once the jobs have ended, keep the experiment up while services run — `true`: until Ctrl-C
   * (SIGINT) or SIGTERM, as the CLI does; an `AbortSignal`: until it aborts. The wait also ends when every
   * service has stopped by itself. Default `false`: the services are stopped once the jobs have ended.
   */
  readonly waitForServices?: boolean | AbortSignal;
}

export interface RunExperimentResult {
  readonly runMode: RunMode;
  /** The YAML `id`, with `-YYYYMMDD-HHMM` when `add_timestamp` is set: the experiment's title. */
  readonly id: string;
  /** The `Experiment`'s id (`<id>_<YYYYMMDD-HHMMSS>`). */
  readonly experimentId: string;
  /** The experiment's directory, when NORMAL launched it. */
  readonly dir?: string;
  /** NORMAL: every job completed (detached: none failed so far). DRY_RUN and GENERATE: true. */
  readonly ok: boolean;
  readonly configuration: unknown;
  readonly experimentFile: string;
  readonly yamlFiles: readonly string[];
  /** DRY_RUN: the jobs listed; GENERATE: the jobs written; NORMAL: empty. */
  readonly jobs: readonly (PlannedJobInfo | GeneratedJob)[];
  /** NORMAL: what each `experiment.run()` resolved to. */
  readonly results: readonly ExperimentResult[];
}

/** The experiment file's exports `labrun run-experiment` uses. */
export interface ExperimentModule<C = unknown> {
  readonly configuration?: ConfigurationSchema<C>;
  readonly run: (helper: ExperimentHelper, cfg: C) => unknown;
}

/** The merged configuration `--show` prints: the YAML files and overrides merged, nothing validated or run. */
export function showConfiguration(
  options: Pick<RunExperimentOptions, "yamlFile" | "preYaml" | "postYaml" | "overrides">,
): ConfigMap {
  return loadConfig(options).data;
}

/**
 * Runs an experiment described by YAML files (experimaestro's `run-experiment`): merges the files and
 * overrides, checks them, runs `pre_experiment`, imports the experiment file, validates the configuration
 * against its `configuration` schema and calls its `run(helper, cfg)`. In NORMAL mode the jobs it added
 * are then launched (unless it called `helper.experiment.run()` itself); DRY_RUN lists them and GENERATE
 * writes their scripts, both without running anything. Bad input throws a typed error before any job runs.
 *
 * @example
 * const result = await runExperiment({ yamlFile: "full.yaml", overrides: ["learning_rate=1e-4"], runMode: "DRY_RUN" });
 * for (const job of result.jobs) console.log(job.name, job.identity, job.state);
 */
export async function runExperiment(options: RunExperimentOptions): Promise<RunExperimentResult> {
  const startedAt = new Date();
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const runMode = parseRunMode(options.runMode ?? "NORMAL");
  const config = loadConfig(options);
  const base = checkBaseConfig(config);
  const experimentFile = resolveExperimentEntry(config, base);
  const preExperiment = resolvePreExperiment(config, base);
  const git = gitInfo(dirname(experimentFile));
  checkDirtyGit(git, base.dirty_git, {
    where: config.where(["dirty_git"]),
    runs: runMode === "NORMAL",
    warn,
  });

  const envBefore = { ...process.env };
  const id = base.add_timestamp ? `${base.id}-${minuteStamp(startedAt)}` : base.id;
  const python = extname(experimentFile) === ".py";
  let loaded: { run: ExperimentModule["run"]; cfg: unknown };
  try {
    loaded = python
      ? await loadPythonExperiment({
          config,
          base,
          experimentFile,
          preExperiment,
          runMode,
          title: id,
          workdir: new Workspace(options.workspace).root,
        })
      : await loadExperiment(config, preExperiment, experimentFile);
  } catch (error) {
    endMockModules();
    throw error;
  }
  const { run, cfg } = loaded;
  const notice = options.cleanMode
    ? () => undefined
    : (message: string) => process.stderr.write(`${message}\n`);
  const wait = runMode === "NORMAL" ? options.waitForServices : undefined;
  const stopRequest = wait ? new StopRequest(wait) : undefined;

  const exp: YamlExperiment = new YamlExperiment(
    id,
    {
      ...(options.workspace ? { baseDir: options.workspace } : {}),
      ...(options.executor ? { executor: options.executor } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...(options.cleanMode ? { cleanMode: options.cleanMode } : {}),
      ...(python ? { hintLanguage: "python" as const } : {}),
    },
    {
      runMode,
      onLaunch: (dir) => {
        helper.serviceSet.recordIn(dir);
        stopRequest?.watch();
        writeInformations(
          dir,
          buildInformations({
            id,
            experimentId: exp.id,
            title: base.title,
            subtitle: base.subtitle,
            description: base.description,
            paper: base.paper,
            git,
            startedAt: startedAt.toISOString(),
            runMode,
            experimentFile,
            yamlFiles: config.files,
            overrides: config.overrides,
            configuration: cfg,
          }),
        );
      },
    },
  );
  const helper = new ExperimentHelper(exp, runMode, config.files);
  const outcome = {
    runMode,
    id,
    configuration: cfg,
    experimentFile,
    yamlFiles: config.files,
  };
  const services = helper.serviceSet;
  let waited = false;
  try {
    try {
      await run(helper, cfg);
    } catch (error) {
      throw withFileName(error, experimentFile);
    } finally {
      // Configuration is over: from now on, imports get the real modules.
      endMockModules();
    }
    await services.startedAll();
    for (const service of services.running)
      notice(`Service ${service.id} is running${serviceUrl(service) ? ` at ${serviceUrl(service)}` : ""}.`);
    if (runMode === "NORMAL") {
      if (!exp.runCalled) {
        if (exp.tasks.length > 0) await exp.run();
        else
          warn(
            `${displayFile(experimentFile)}: run() added no jobs to the experiment; nothing was launched.`,
          );
      }
      const results = await exp.results();
      if (stopRequest) waited = await keepServicesUp(services, stopRequest);
      return {
        ...outcome,
        experimentId: exp.id,
        ...(exp.dir ? { dir: exp.dir } : {}),
        ok: results.every((result) => result.ok),
        jobs: [],
        results,
      };
    }
    const jobs =
      runMode === "DRY_RUN"
        ? await listPlannedJobs(exp)
        : await generateJobScripts(exp, changedEnv(envBefore, process.env));
    return { ...outcome, experimentId: exp.id, ok: true, jobs, results: [] };
  } finally {
    stopRequest?.armForceExit();
    const running = services.running.length;
    await services.stopAll(warn);
    stopRequest?.dispose();
    if (waited && stopRequest?.fromSignals) process.stderr.write(`Stopped ${running} service(s).\n`);
  }
}

/**
 * Runs `pre_experiment`, imports the experiment file and validates the configuration against its schema.
 * `pre_experiment` comes first, so that what it sets (process.env, globals, `mockModules`) is seen by the
 * experiment file.
 */
async function loadExperiment(
  config: LoadedConfig,
  preExperiment: string | undefined,
  experimentFile: string,
): Promise<{ run: ExperimentModule["run"]; cfg: unknown }> {
  if (preExperiment) await importFile(preExperiment);
  const { run, configuration } = experimentExports(await importFile(experimentFile), experimentFile);
  const cfg = validateConfiguration(config, configuration ?? (ConfigurationBase as ConfigurationSchema));
  return { run, cfg };
}

function loadConfig(
  options: Pick<RunExperimentOptions, "yamlFile" | "preYaml" | "postYaml" | "overrides">,
): LoadedConfig {
  return loadYamlConfig({
    file: options.yamlFile,
    ...(options.preYaml ? { preYaml: options.preYaml } : {}),
    ...(options.postYaml ? { postYaml: options.postYaml } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
}

function experimentExports(module: Record<string, unknown>, file: string): ExperimentModule {
  const { run, configuration } = module;
  if (typeof run !== "function")
    throw new ExperimentFileError(
      `${displayFile(file)} exports no \`run\` function. Export \`async function run(helper, cfg)\` that adds the jobs.`,
      { details: { file } },
    );
  if (configuration !== undefined && typeof (configuration as ConfigurationSchema).safeParse !== "function")
    throw new ExperimentFileError(
      `${displayFile(file)}: \`configuration\` is not a zod schema. Export \`configuration = ConfigurationBase.extend({ … })\`.`,
      { details: { file } },
    );
  return {
    run: run as ExperimentModule["run"],
    ...(configuration === undefined ? {} : { configuration: configuration as ConfigurationSchema }),
  };
}

async function importFile(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    if (needsTypeScriptLoader(path)) {
      const { tsImport } = await import("tsx/esm/api");
      return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw withFileName(error, path);
  }
}

/** An error of the file's own code (not a labrun error), with the file it came from in its message. */
function withFileName(error: unknown, file: string): unknown {
  if (error instanceof Error && !isLabrunError(error))
    error.message = `${displayFile(file)}: ${error.message}`;
  return error;
}

/**
 * Variables set by `pre_experiment` or the experiment file: jobs launched by this process inherit them, so
 * GENERATE's scripts export them too.
 */
function changedEnv(before: NodeJS.ProcessEnv, after: NodeJS.ProcessEnv): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const [key, value] of Object.entries(after))
    if (value !== undefined && before[key] !== value) changed[key] = value;
  return changed;
}

/** `YYYYMMDD-HHMM` in local time, for `add_timestamp`. */
export function minuteStamp(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}`;
}
