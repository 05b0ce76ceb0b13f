import { spawnSync } from "node:child_process";
import { cluster as runCluster, findClusterScript } from "./cluster-script.js";

/**
 * vitest globalSetup: starts the real one-node Slurm cluster (`shared/slurm/local-cluster.sh up`) for the Slurm
 * and SSH tests, and stops it at the end, but only when this run started it.
 * Nothing starts when LABRUN_TEST_BACKENDS leaves `slurm` out, or when the run names test files and none
 * of them is a Slurm or SSH test.
 */
const script = findClusterScript();

/** CPUs the node offers Slurm: more than the machine has, so long tests (time limits) do not hold the others up. */
const testCpus = 8;

function cluster(command: "up" | "down" | "status") {
  return runCluster(command, testCpus);
}

function slurmCpus(): number {
  const node = spawnSync("scontrol", ["show", "node", "-o"], { encoding: "utf8" }).stdout;
  return Number(/CPUTot=(\d+)/.exec(node)?.[1] ?? 0);
}

/** True when this vitest run includes tests that need the cluster. */
export function slurmWanted(argv: readonly string[] = process.argv): boolean {
  const backends = process.env.LABRUN_TEST_BACKENDS;
  if (backends !== undefined && !backends.split(",").includes("slurm")) return false;
  const runAt = argv.findIndex((arg) => arg === "run" || arg === "watch");
  const filters = argv.slice(runAt >= 0 ? runAt + 1 : argv.length).filter((arg) => !arg.startsWith("-"));
  return filters.length === 0 || filters.some((filter) => /slurm|ssh/.test(filter));
}

export default function setup(): (() => void) | undefined {
  if (!slurmWanted()) return undefined;
  const before = cluster("status");
  const wasUp = before.status === 0 && / up /.test(before.stdout);
  // Started, or too small (a cluster started by hand with 2 CPUs): `up` (re)configures it; jobs survive.
  if (!wasUp || slurmCpus() < testCpus) {
    const up = cluster("up");
    if (up.status !== 0)
      throw new Error(
        `Could not start the local Slurm cluster (${script} up; set LABRUN_SLURM_CLUSTER_SCRIPT to the script if it lives elsewhere):\n${up.stdout}\n${up.stderr}`,
      );
  }
  return () => {
    if (!wasUp) cluster("down");
  };
}
