import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Why a real small disk cannot be had here, or undefined when it can (root, and `mount` works). */
export function smallDiskUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to mount a small tmpfs (a real full disk)";
  const probe = mkdtempSync(join(tmpdir(), "labrun-tmpfs-probe-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]);
  if (mounted.status !== 0) {
    rmSync(probe, { recursive: true, force: true });
    return `cannot mount a tmpfs here: ${mounted.stderr.toString().trim()}`;
  }
  spawnSync("umount", [probe]);
  rmSync(probe, { recursive: true, force: true });
  return undefined;
}

/** A real small disk: a tmpfs of `sizeMb` MiB mounted on a fresh folder; `fill` leaves it nearly full. */
export class SmallDisk {
  readonly dir: string;
  readonly #filler: string;

  constructor(sizeMb = 3) {
    this.dir = mkdtempSync(join(tmpdir(), "labrun-small-disk-"));
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m`, "tmpfs", this.dir]);
    if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
    this.#filler = join(this.dir, "filler");
  }

  get free(): number {
    const stats = statfsSync(this.dir);
    return stats.bavail * stats.bsize;
  }

  /** Writes a filler file so that about `leave` bytes stay free (0: until the disk refuses). */
  fill(leave = 0): string {
    const fd = openSync(this.#filler, "a");
    const chunk = Buffer.alloc(4096, 0x61);
    try {
      while (this.free > leave) writeSync(fd, chunk, 0, Math.min(chunk.length, this.free - leave));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
    } finally {
      closeSync(fd);
    }
    return this.#filler;
  }

  /** Frees the space the filler took. */
  release(): void {
    rmSync(this.#filler, { force: true });
  }

  cleanup(): void {
    spawnSync("umount", ["-l", this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The records of a JSON Lines file; throws on a line that does not parse or a file not ending in `\n`. */
export function strictLines(file: string): Record<string, unknown>[] {
  const text = readFileSync(file, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) throw new Error(`${file} ends with a torn line`);
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
      }
    });
}

export const pythonClient = resolve(import.meta.dirname, "..", "..", "clients", "python");

/** Runs a Python script (the client from clients/python, standard library only) to its end. */
export function runPython(
  script: string,
  args: readonly string[],
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("python3", ["-c", script, ...args], {
    env: { ...process.env, ...env, PYTHONPATH: pythonClient, PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolvePromise) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    }),
  );
}
