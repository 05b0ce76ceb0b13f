import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const repoRoot = resolve(import.meta.dirname, "..");
export const labrunBin = join(repoRoot, "bin", "labrun.js");

/**
 * A fresh workspace directory, removed by the returned cleanup. The removal retries: a detached supervisor
 * that was just cancelled may still write its last state while the folder is being removed (ENOTEMPTY).
 */
export function tempWorkspace(prefix = "ws"): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `labrun-test-${prefix}-`));
  return {
    root,
    cleanup: () => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `labrun` CLI to completion. */
export function runCli(
  args: readonly string[],
  options: { workspace: string; cwd?: string; env?: Record<string, string> },
): CliResult {
  const result = spawnSync(process.execPath, [labrunBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, LABRUN_HOME: options.workspace, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the real `labrun` CLI in the background, collecting its output. */
export function startCli(
  args: readonly string[],
  options: { workspace: string; cwd?: string; env?: Record<string, string> },
) {
  const child = spawn(process.execPath, [labrunBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, LABRUN_HOME: options.workspace, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
  };
}

/** Writes an experiment file that imports labrun, for `labrun run`. */
export function writeExperimentFile(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `import { Experiment, Script, LocalExecutor, Partial } from "labrun";\n${body}\n`);
  return file;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Builds dist/ once if the CLI is not built yet (npm test builds it first anyway). */
export function ensureBuilt(): void {
  try {
    readFileSync(join(repoRoot, "dist", "cli", "main.js"));
  } catch {
    spawnSync("npm", ["run", "build"], { cwd: repoRoot, stdio: "inherit" });
  }
}
