import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tsxLoaderUrl } from "../../src/util/node-entry.js";

export const srcIndexUrl = pathToFileURL(resolve(import.meta.dirname, "../../src/index.ts")).href;

/** A temporary folder removed by `cleanup`. */
export function tempDir(prefix = "runs"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `labrun-tracking-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The lines of a JSONL file, parsed (NaN tokens and all, via the SDK's parser). */
export function readLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

export interface Child {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
  /** Resolves when the child printed a line containing `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs a TypeScript module body in a fresh Node process. The body can use `labrun` (the SDK from src/) and
 * top-level await.
 */
export function runScript(dir: string, name: string, body: string, env: Record<string, string> = {}): Child {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, `import * as labrun from ${JSON.stringify(srcIndexUrl)};\n${body}\n`);
  const child = spawn(process.execPath, ["--import", tsxLoaderUrl(), file], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (stdout.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: child.pid!,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for "${text}"; stdout: ${stdout}; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then(() => {
          if (!stdout.includes(text)) {
            clearTimeout(timer);
            reject(
              new Error(`the script exited before printing "${text}"; stdout: ${stdout}; stderr: ${stderr}`),
            );
          }
        });
        check();
      }),
    kill: (signal) => child.kill(signal),
  };
}
