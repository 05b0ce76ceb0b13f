import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir, runScript } from "../tracking/helpers.js";
import { waitFor } from "../helpers.js";
import { pythonClient } from "./writer-disk.js";

// Exclusive ownership under a real race: TypeScript and Python writers, as separate processes, all blocked on
// opening the same FIFO for reading, released at the same instant when the test opens it for writing. Each
// tries to open the run as its owner; exactly one may succeed each time, on a fresh run and when taking over
// the lock of an owner killed with SIGKILL.
const writersPerLanguage = 4;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const tsContender = `
import { closeSync, openSync } from "node:fs";
console.log("ready");
closeSync(openSync(process.env.FIFO!, "r"));
try {
  const run = new labrun.Run({ prefix: "alice/race/run", root: process.env.ROOT });
  console.log("owner");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await run.complete();
} catch (error) {
  console.log((error as { code?: string }).code === "RUN_BUSY" ? "busy" : \`error \${(error as Error).message}\`);
}
`;

const pyContender = `
import os, sys, time
from labrun import Run, RunBusyError
print("ready", flush=True)
os.close(os.open(os.environ["FIFO"], os.O_RDONLY))
try:
    run = Run(prefix="alice/race/run", root=os.environ["ROOT"]).start()
    print("owner", flush=True)
    time.sleep(1.5)
    run.complete()
except RunBusyError:
    print("busy", flush=True)
except Exception as error:
    print(f"error {error}", flush=True)
`;

interface Contender {
  readonly output: () => string;
  readonly exited: Promise<unknown>;
}

function startPython(env: Record<string, string>): Contender {
  const child: ChildProcess = spawn("python3", ["-c", pyContender], {
    env: { ...process.env, ...env, PYTHONPATH: pythonClient },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  return { output: () => out, exited: new Promise((resolve) => child.once("exit", resolve)) };
}

/** Starts the contenders, releases them at once, and returns what each said. */
async function race(dir: string, root: string, round: number): Promise<string[]> {
  const fifo = join(dir, `barrier-${round}`);
  spawnSync("mkfifo", [fifo]);
  const env = { FIFO: fifo, ROOT: root };
  const contenders: Contender[] = [];
  for (let i = 0; i < writersPerLanguage; i++) {
    const ts = runScript(dir, `contender-${round}-${i}`, tsContender, env);
    cleanups.push(() => ts.kill("SIGKILL"));
    contenders.push({ output: () => ts.output().stdout + ts.output().stderr, exited: ts.exited });
    contenders.push(startPython(env));
  }
  await waitFor(
    "every contender at the barrier",
    () => contenders.every((c) => c.output().includes("ready")),
    90_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 300)); // from "ready" to the blocking open
  closeSync(openSync(fifo, "w")); // the barrier opens for all of them at once
  await Promise.all(contenders.map((c) => c.exited));
  return contenders.map((c) => c.output().replace("ready", "").trim());
}

describe("exclusive run ownership", () => {
  it("of 8 TypeScript and Python writers released at the same instant, exactly one owns a new run, every time", async () => {
    const { dir, cleanup } = tempDir("lock-race");
    cleanups.push(cleanup);
    for (let round = 0; round < 3; round++) {
      const root = join(dir, `runs-${round}`);
      const said = await race(dir, root, round);
      expect(
        said.filter((line) => line === "owner"),
        said.join(" | "),
      ).toHaveLength(1);
      expect(said.filter((line) => line === "busy")).toHaveLength(2 * writersPerLanguage - 1);
      expect(existsSync(join(root, "alice", "race", "run", ".owner.lock"))).toBe(false); // released at the end
    }
  }, 300_000);

  it("of 8 writers racing to take over the lock of an owner killed with SIGKILL, exactly one does", async () => {
    const { dir, cleanup } = tempDir("lock-takeover");
    cleanups.push(cleanup);
    for (let round = 0; round < 2; round++) {
      const root = join(dir, `runs-${round}`);
      const victim = runScript(
        dir,
        `victim-${round}`,
        `new labrun.Run({ prefix: "alice/race/run", root: ${JSON.stringify(root)} });
console.log("owning");
setInterval(() => {}, 1000);`,
      );
      cleanups.push(() => victim.kill("SIGKILL"));
      await victim.waitFor("owning", 60_000);
      victim.kill("SIGKILL");
      await victim.exited;
      expect(existsSync(join(root, "alice", "race", "run", ".owner.lock"))).toBe(true); // left behind
      const said = await race(dir, root, 10 + round);
      expect(
        said.filter((line) => line === "owner"),
        said.join(" | "),
      ).toHaveLength(1);
      expect(said.filter((line) => line === "busy")).toHaveLength(2 * writersPerLanguage - 1);
    }
  }, 300_000);
});
