import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

/** Why a test needing a real full disk cannot run here, or undefined when it can (root, and mount works). */
export function tmpfsUnavailable(): string | undefined {
  if (process.platform !== "linux") return "needs Linux tmpfs";
  if (process.getuid?.() !== 0) return "needs root to mount a small tmpfs (a real full disk)";
  return undefined;
}

/** Mounts a tmpfs of `sizeMb` MiB on `dir` (created); returns the unmount. */
export function mountTmpfs(dir: string, sizeMb: number): () => void {
  mkdirSync(dir, { recursive: true });
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m`, "tmpfs", dir], {
    encoding: "utf8",
  });
  if (mounted.status !== 0) throw new Error(`mount -t tmpfs failed: ${mounted.stderr}`);
  return () => {
    spawnSync("umount", ["-l", dir]);
  };
}
