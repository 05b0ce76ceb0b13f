import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

const clusterScript = join("shared", "slurm", "local-cluster.sh");
const repo = resolve(import.meta.dirname, "..", "..");

/**
 * The one-node cluster's script: $LABRUN_SLURM_CLUSTER_SCRIPT, else `shared/slurm/local-cluster.sh` in a folder
 * above the repository (`../shared` of the main checkout), else above the repository this one was cloned from
 * (a clone in a temporary folder).
 */
export function findClusterScript(): string {
  return (found ??= lookUp());
}

let found: string | undefined;

function lookUp(): string {
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
  return join(dirname(repo), clusterScript); // reported as missing by whoever runs it
}

/** Runs the cluster script (`up` configures the node with `cpus` CPUs for Slurm). */
export function cluster(command: "up" | "down" | "status", cpus: number) {
  return spawnSync("bash", [findClusterScript(), command], {
    encoding: "utf8",
    env: { ...process.env, SLURM_CPUS: process.env.SLURM_CPUS ?? String(cpus) },
    timeout: 300_000,
  });
}
