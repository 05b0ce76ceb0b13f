import type { Tunnel } from "../tunnel/tunnel.js";

/** Slurm's default MaxArraySize: array indexes 0 … 1000. */
export const defaultMaxArraySize = 1001;

/**
 * The cluster's MaxArraySize (`scontrol show config`): an array has at most this many elements, indexed from 0.
 * Slurm's default when the cluster does not say (or scontrol cannot be run: sbatch will say why, then).
 */
export async function maxArraySize(tunnel: Tunnel): Promise<number> {
  const stdout = await tunnel
    .exec("scontrol show config 2>/dev/null | grep -i '^MaxArraySize'")
    .then((result) => result.stdout)
    .catch(() => "");
  const value = Number(/=\s*(\d+)/.exec(stdout)?.[1]);
  return Number.isInteger(value) && value >= 1 ? value : defaultMaxArraySize;
}

/** `items` cut into the fewest pieces of at most `size` each, in order. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const pieces: T[][] = [];
  for (let start = 0; start < items.length; start += size) pieces.push(items.slice(start, start + size));
  return pieces;
}
