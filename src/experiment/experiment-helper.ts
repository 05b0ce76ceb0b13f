import type { Workspace } from "../workspace/workspace.js";
import type { Experiment } from "./experiment.js";
import type { RunMode } from "./run-mode.js";
import type { PlainService, Service } from "./services/service.js";
import { ServiceSet } from "./services/service-set.js";

/**
 * The plain form of a service `addService` takes: an object with an `id` and optional `start()`/`stop()`.
 * A `Service` (or `WebService`) subclass adds states, listeners and a URL.
 */
export type ExperimentService = PlainService;

/**
 * What an experiment file's `run(helper, cfg)` gets from `labrun run-experiment` (experimaestro's
 * ExperimentHelper): the `Experiment` to add jobs to, its workspace, the run mode and services.
 *
 * @example
 * export async function run(helper: ExperimentHelper, cfg: z.infer<typeof configuration>) {
 *   for (const { values, name } of grid({ lr: cfg.learning_rates }))
 *     helper.experiment.add(new Script({ path: "train.py", args: [`--lr=${values.lr}`] }), { name: `train-${name}` });
 *   // the runner calls helper.experiment.run() when run() returns without calling it
 * }
 */
export class ExperimentHelper {
  /** The experiment, titled after the YAML `id` (with `-YYYYMMDD-HHMM` when `add_timestamp` is set). */
  readonly experiment: Experiment;
  readonly runMode: RunMode;
  /** The YAML files that were merged, lowest priority first. */
  readonly yamlFiles: readonly string[];
  /** @internal The services added, for the runner. */
  readonly serviceSet: ServiceSet;

  constructor(experiment: Experiment, runMode: RunMode, yamlFiles: readonly string[]) {
    this.experiment = experiment;
    this.runMode = runMode;
    this.yamlFiles = Object.freeze([...yamlFiles]);
    this.serviceSet = new ServiceSet({ autoStart: runMode === "NORMAL" });
  }

  get workspace(): Workspace {
    return this.experiment.workspace;
  }

  /** Same as `experiment` (experimaestro's name). */
  get xp(): Experiment {
    return this.experiment;
  }

  /**
   * Adds a service (a `Service`, such as a `WebService`, or a plain `{ id, start?, stop? }`). In NORMAL mode
   * it is started now; once the jobs have ended, `labrun run-experiment` keeps the experiment up while
   * services run, until Ctrl-C, then stops them. In DRY_RUN and GENERATE it is not started.
   *
   * @example
   * helper.addService(new JobFilesService(helper.experiment)); // browse the job directories
   */
  addService<S extends Service | ExperimentService>(service: S): S {
    this.serviceSet.add(service);
    return service;
  }

  /** The services added, as given. */
  get services(): readonly (Service | ExperimentService)[] {
    return this.serviceSet.added;
  }
}
