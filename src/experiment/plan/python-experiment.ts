import { dirname } from "node:path";
import type { LoadedConfig } from "../../config/yaml/config-loader.js";
import type { ConfigurationBase } from "../../config/yaml/configuration-base.js";
import { moduleSearchPath } from "../../config/yaml/entry.js";
import type { ExperimentHelper } from "../experiment-helper.js";
import type { RunMode } from "../run-mode.js";
import { addPlanJobs, planDefaults } from "./build-plan.js";
import { serviceFromSpec } from "./plan-services.js";
import { planWithPython } from "./python-planner.js";
import { runOptionsOf } from "./run-plan.js";

export interface PythonExperimentInput {
  readonly config: LoadedConfig;
  readonly base: ConfigurationBase;
  readonly experimentFile: string;
  readonly preExperiment: string | undefined;
  readonly runMode: RunMode;
  readonly title: string;
  readonly workdir: string;
}

/**
 * An `experiment.py` for `labrun run-experiment`: the Python planner validates the merged configuration against
 * the file's dataclass and runs its `run(helper, cfg)` into a plan (nothing launched); the `run` returned here
 * adds the plan's jobs to the runner's experiment, which then lists, generates or launches them as for
 * TypeScript. Planning happens now, so a bad configuration or a Python exception stops everything first.
 */
export async function loadPythonExperiment(
  input: PythonExperimentInput,
): Promise<{ run: (helper: ExperimentHelper) => Promise<void>; cfg: unknown }> {
  const { config, base, experimentFile } = input;
  const pythonpath =
    base.module || base.pythonpath ? moduleSearchPath(config, base) : [dirname(experimentFile)];
  const plan = await planWithPython({
    experimentFile,
    module: null,
    configuration: config.data,
    runMode: input.runMode,
    workdir: input.workdir,
    title: input.title,
    pythonpath,
    mockModules: [],
    preExperiment: input.preExperiment ?? null,
    cwd: process.cwd(),
    yamlFiles: config.files,
  });
  return {
    cfg: config.data,
    run: async (helper) => {
      addPlanJobs(helper.experiment, plan);
      const defaults = planDefaults(plan);
      for (const spec of plan.services ?? [])
        helper.addService(serviceFromSpec(spec, defaults, helper.experiment));
      // The experiment file called run() with options (detach, tail_logs…): launch as it asked.
      const options = runOptionsOf(plan);
      if (Object.keys(options).length > 0 && plan.jobs.length > 0) await helper.experiment.run(options);
    },
  };
}
