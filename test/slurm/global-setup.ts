import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

/**
 * vitest globalSetup: starts the real one-node Slurm cluster (`shared/slurm/local-cluster.sh up`) for the Slurm
 * and SSH tests, and stops it at the end, but only when this run started it.
 * Nothing starts when LABRUN_TEST_BACKENDS leaves `slurm` out, or when the run names test files and none
 * of them is a Slurm or SSH test.
 */
const clusterScript = join("shared", "slurm", "local-cluster.sh");
const repo = resolve(import.meta.dirname, "..", "..");

/**
 * The cluster script: $LABRUN_SLURM_CLUSTER_SCRIPT, else `shared/slurm/local-cluster.sh` in a folder above the
 * repository (`../shared` of the main checkout), else above the repository this one was cloned from (a clone in
 * a temporary folder).
 */
function findClusterScript(): string {
  const given = process.env.LABRUN_SLURM_CLUSTER_SCRIPT;
  if (given) return given;
  const origin = spawnSync("git", ["-C", repo, "config", "--get", "remote.origin.url"], { encoding: "utf8" });
  const starts = [
    repo,
    ...(origin.status === 0 && isAbsolute(origin.stdout.trim()) ? [origin.stdout.trim()] : []),
  ];
  for (const start of starts)
    for (let dir = dirname(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, clusterScript))) return join(dir, clusterScript);
      if (dirname(dir) === dir) break;
    }
  return join(dirname(repo), clusterScript); // reported as missing below
}

const script = findClusterScript();

/** CPUs the node offers Slurm: more than the machine has, so long tests (time limits) do not hold the others up. */
const testCpus = 8;

function cluster(command: "up" | "down" | "status") {
  return spawnSync("bash", [script, command], {
    encoding: "utf8",
    env: { ...process.env, SLURM_CPUS: process.env.SLURM_CPUS ?? String(testCpus) },
    timeout: 300_000,
  });
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
