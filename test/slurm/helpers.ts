import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Experiment, LocalTunnel, SlurmExecutor } from "../../src/index.js";
import type { SlurmExecutorOptions } from "../../src/index.js";

/** An executor on the real local cluster (partition `debug`). */
export function slurm(options: SlurmExecutorOptions = {}): SlurmExecutor {
  return new SlurmExecutor({ partition: "debug", time: "5", tunnel: new LocalTunnel(), ...options });
}

export function newExperiment(root: string, title: string, executor = slurm()): Experiment {
  return new Experiment(title, { executor, baseDir: root, cleanMode: true, systemMetricsIntervalMs: 0 });
}

/** What Slurm itself says about a job: `scontrol show job` fields. */
export function scontrol(id: string): Record<string, string> {
  const out = spawnSync("scontrol", ["show", "job", "-o", id], { encoding: "utf8" }).stdout;
  return Object.fromEntries(
    out
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}

export function read(file: string): string {
  return readFileSync(file, "utf8");
}

/** False when LABRUN_TEST_BACKENDS leaves `slurm` out (the cluster is then not started). */
export const slurmEnabled = (process.env.LABRUN_TEST_BACKENDS ?? "slurm").split(",").includes("slurm");
