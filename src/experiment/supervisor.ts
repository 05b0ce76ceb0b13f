import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ExperimentStateError } from "../errors.js";
import { nodeEntry } from "../util/node-entry.js";
import { readTextIfExists, writeJsonAtomic } from "../util/atomic-file.js";

const readyFile = "supervisor.json";

/**
 * Starts the background process that keeps scheduling a detached experiment, and waits until it has
 * taken over (holds the driver lock and has submitted what was ready). Its output goes to supervisor.log.
 */
export async function startSupervisor(experimentDir: string, workspaceRoot: string): Promise<number> {
  const [node, ...args] = nodeEntry(new URL("./supervisor-main.js", import.meta.url));
  const log = openSync(join(experimentDir, "supervisor.log"), "a");
  const child = spawn(node!, [...args, experimentDir], {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, LABRUN_HOME: workspaceRoot },
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = readTextIfExists(join(experimentDir, readyFile));
    if (ready && (JSON.parse(ready) as { pid: number }).pid === child.pid) return child.pid;
    if (exited !== undefined) break;
    await sleep(25);
  }
  const tail = readFileSync(join(experimentDir, "supervisor.log"), "utf8")
    .trim()
    .split("\n")
    .slice(-5)
    .join("\n");
  throw new ExperimentStateError(
    `The background supervisor of ${experimentDir} ${exited === undefined ? "did not start in 60 s" : `exited with code ${exited}`}. ` +
      `Its log says:\n${tail}\nRun \`labrun experiment resume\` to drive the experiment in the foreground.`,
  );
}

/** Written by the supervisor once it drives the experiment. */
export function markSupervisorReady(experimentDir: string): void {
  writeJsonAtomic(join(experimentDir, readyFile), { pid: process.pid, readyAt: new Date().toISOString() });
}
