import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

/**
 * vitest globalSetup: starts the real one-node Slurm cluster (`../shared/slurm/local-cluster.sh up`, next to
 * the repository) and stops it at the end, but only when this run started it.
 */
const script = resolve(import.meta.dirname, "..", "..", "..", "shared", "slurm", "local-cluster.sh");

function cluster(command: "up" | "down" | "status") {
  return spawnSync("bash", [script, command], { encoding: "utf8", env: process.env, timeout: 300_000 });
}

export default function setup(): () => void {
  const before = cluster("status");
  const wasUp = before.status === 0 && / up /.test(before.stdout);
  if (!wasUp) {
    const up = cluster("up");
    if (up.status !== 0)
      throw new Error(`Could not start the local Slurm cluster (${script} up):\n${up.stdout}\n${up.stderr}`);
  }
  return () => {
    if (!wasUp) cluster("down");
  };
}
