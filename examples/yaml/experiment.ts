// The worked example of docs/run-experiment.md: `labrun run-experiment examples/yaml/experiment.yaml`.
// One job makes a dataset, then one training job per (learning rate, batch size) of the sweep.
import { ConfigurationBase, JobFilesService, Partial, grid } from "labrun";
import type { ExperimentHelper } from "labrun";
import { z } from "zod";

/** The keys experiment.yaml (and base.yaml, --pre-yaml, --post-yaml, -c) may set besides the base ones. */
export const configuration = ConfigurationBase.extend({
  dataset: z.object({
    points: z.number().int().positive(),
    noise: z.number().min(0).default(0.1),
  }),
  epochs: z.number().int().positive().default(5),
  sweep: z.object({
    learning_rates: z.array(z.number().positive()).min(1),
    batch_sizes: z.array(z.number().int().positive()).min(1).default([16]),
  }),
  /** Serve the job directories on a local web page (-c browse=true), until Ctrl-C. */
  browse: z.boolean().default(false),
});
export type Configuration = z.infer<typeof configuration>;

const steps = new URL("./steps.ts", import.meta.url).pathname;

export function run(helper: ExperimentHelper, cfg: Configuration): void {
  const exp = helper.experiment;
  if (cfg.browse) helper.addService(new JobFilesService(exp));
  const dataset = exp.add(new Partial({ module: steps, fn: "makeDataset", args: [cfg.dataset] }), {
    name: "dataset",
  });
  for (const { values, name } of grid({ lr: cfg.sweep.learning_rates, bs: cfg.sweep.batch_sizes }))
    exp.add(new Partial({ module: steps, fn: "train", args: [{ ...values, epochs: cfg.epochs }] }), {
      name: `train-${name}`,
      dependencies: [dataset],
    });
  // No exp.run() here: in NORMAL mode the runner launches the jobs once run() returns; in DRY_RUN it lists
  // them and in GENERATE it writes their scripts instead.
}
