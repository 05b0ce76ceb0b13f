import { Experiment } from "./experiment.js";
import type { ExperimentOptions, RunOptions } from "./experiment.js";
import type { ExperimentResult } from "./run-results.js";
import type { RunMode } from "./run-mode.js";

export interface YamlExperimentHooks {
  readonly runMode: RunMode;
  /** Called once the experiment's directory exists (it is created when the jobs are launched). */
  readonly onLaunch: (dir: string) => void;
}

/**
 * The `Experiment` an experiment file gets from `labrun run-experiment`. It follows the run mode: in
 * DRY_RUN and GENERATE, `run()` launches nothing (the runner lists or writes the jobs afterwards) and
 * resolves to a PENDING result; in NORMAL it launches as usual and records informations.json.
 */
export class YamlExperiment extends Experiment {
  readonly #hooks: YamlExperimentHooks;
  readonly #launches: Promise<ExperimentResult>[] = [];
  #runCalled = false;

  constructor(title: string, options: ExperimentOptions, hooks: YamlExperimentHooks) {
    super(title, options);
    this.#hooks = hooks;
  }

  /** True once the experiment file has called `run()` itself. */
  get runCalled(): boolean {
    return this.#runCalled;
  }

  override run(options: RunOptions = {}): Promise<ExperimentResult> {
    this.#runCalled = true;
    if (this.#hooks.runMode !== "NORMAL")
      return Promise.resolve({
        id: this.id,
        title: this.title,
        dir: "",
        state: "PENDING",
        ok: true,
        detached: false,
        jobs: this.jobs.map((job) => ({ name: job.name, state: "PENDING" as const })),
      });
    const launched = super.run(options);
    // run() creates the directory before its first await: record informations.json beside experiment.json now.
    if (this.dir) this.#hooks.onLaunch(this.dir);
    this.#launches.push(launched);
    return launched;
  }

  /** What every `run()` of this experiment resolved to (waits for those still running). */
  async results(): Promise<ExperimentResult[]> {
    return Promise.all(this.#launches);
  }
}
