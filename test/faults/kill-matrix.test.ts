import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpStore } from "../../src/store/http/http-store.js";
import { RunReader } from "../../src/tracking/run-reader.js";
import { ensureBuilt, repoRoot, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { ServerProcess } from "../remote/server-process.js";
import { runScript } from "../tracking/helpers.js";
import { pythonClient, strictLines } from "./writer-disk.js";
import { spawn } from "node:child_process";

// kill -9 at several points of a known workload: points 0, 1, 2, … logged in batches of 50, each batch
// flushed; "acked N" is printed once points below N are acknowledged (written to the run's files in local
// mode, acknowledged by the server in remote mode). After the kill, every acknowledged point must be stored,
// each exactly once and in order (a prefix 0..M-1 with M ≥ N), the status must tell the truth, and the run
// must resume from M in the other language (taking over the dead owner's lock). Then the server and the
// experiment driver are killed under running clients.
type Language = "ts" | "py";
type Mode = "local" | "remote";

const tsWorkload = `
const mode = process.env.MODE;
const start = Number(process.env.START), count = Number(process.env.COUNT);
const run = new labrun.Run({
  prefix: process.env.PREFIX!,
  ...(mode === "local"
    ? { root: process.env.ROOT, url: false as const }
    : { remote: { batchIntervalMs: 30, retryDelayMs: 50, maxRetryDelayMs: 200, quiet: true } }),
});
let step = start;
while (step < start + count) {
  for (let i = 0; i < 50 && step < start + count; i++, step++) run.metrics("train").log({ step });
  await run.flush();
  const pending = mode === "local" ? run.writeStatus()!.pending : run.remoteStatus()!.pending;
  if (pending === 0) console.log(\`acked \${step}\`);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await run.complete();
console.log("done");
`;

const pyWorkload = `
import os, time
from labrun import Run
mode = os.environ["MODE"]
start, count = int(os.environ["START"]), int(os.environ["COUNT"])
if mode == "local":
    run = Run(prefix=os.environ["PREFIX"], root=os.environ["ROOT"], dash_url=False)
else:
    run = Run(prefix=os.environ["PREFIX"], flush_interval=0.03,
              remote={"retry_delay": 0.05, "max_retry_delay": 0.2, "quiet": True})
run.start()
step = start
while step < start + count:
    for _ in range(50):
        if step >= start + count:
            break
        run.metrics("train").log(step=step)
        step += 1
    if run.flush():
        print(f"acked {step}", flush=True)
    time.sleep(0.01)
run.complete()
print("done", flush=True)
`;

interface Workload {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  kill(): void;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function start(language: Language, dir: string, env: Record<string, string>): Workload {
  if (language === "ts") {
    const child = runScript(
      dir,
      `workload-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      tsWorkload,
      env,
    );
    const workload = {
      stdout: () => child.output().stdout,
      stderr: () => child.output().stderr,
      exited: child.exited.then(({ code }) => code),
      kill: () => child.kill("SIGKILL"),
    };
    cleanups.push(() => workload.kill());
    return workload;
  }
  const child = spawn("python3", ["-c", pyWorkload], {
    env: { ...process.env, ...env, PYTHONPATH: pythonClient },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const workload = {
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))),
    kill: () => void child.kill("SIGKILL"),
  };
  cleanups.push(() => workload.kill());
  return workload;
}

const acks = (workload: Workload) => [...workload.stdout().matchAll(/acked (\d+)/g)].map((m) => Number(m[1]));

/** Steps stored, after checking the file is whole and the indices run 0, 1, 2, … */
function localSteps(root: string, prefix: string): number[] {
  const lines = strictLines(join(root, ...prefix.split("/"), "metrics", "train", "data.jsonl"));
  lines.forEach((line, i) => expect(line.index).toBe(i));
  return lines.map((line) => (line.data as { step: number }).step);
}

const range = (n: number) => [...Array(n).keys()];
const other = (language: Language): Language => (language === "ts" ? "py" : "ts");

let server: ServerProcess;
let serverHome: ReturnType<typeof tempWorkspace>;
beforeAll(async () => {
  ensureBuilt();
  serverHome = tempWorkspace("kill-matrix-server");
  server = await ServerProcess.start(join(serverHome.root, "server"));
});
afterAll(async () => {
  await server?.stop();
  serverHome?.cleanup();
});

async function serverSteps(
  url: string,
  prefix: string,
): Promise<{ steps: number[]; status: string | undefined }> {
  const store = new HttpStore({ url });
  const run = await store.getRunByPrefix(prefix);
  if (!run) return { steps: [], status: undefined };
  const series = await store.readMetrics(run.id, "train");
  return { steps: series.points.map((point) => point.fields.step as number), status: run.status };
}

describe("kill -9 of a client at several points of a known workload", () => {
  for (const language of ["ts", "py"] as Language[]) {
    for (const mode of ["local", "remote"] as Mode[]) {
      for (const after of [1, 4]) {
        it(`${language} client, ${mode} mode, killed after ${after} acknowledged batch(es): every acknowledged point once, in order; the status true; resumable`, async () => {
          const home = tempWorkspace("kill-matrix");
          cleanups.push(home.cleanup);
          const root = join(home.root, "runs");
          const prefix = `alice/kills/${language}-${mode}-${after}`;
          const env = {
            MODE: mode,
            PREFIX: prefix,
            ROOT: root,
            LABRUN_HOME: home.root,
            LABRUN_URL: mode === "remote" ? server.url : "",
            START: "0",
            COUNT: "1000000000",
          };
          const victim = start(language, home.root, env);
          await waitFor(`${after} acknowledgement(s)`, () => acks(victim).length >= after, 60_000);
          victim.kill();
          await victim.exited;
          const acked = Math.max(...acks(victim));

          let stored: number[];
          if (mode === "local") {
            stored = localSteps(root, prefix);
            const info = RunReader.open(prefix, { root }).info();
            expect(info).toMatchObject({ status: "FAILED", died: true, recordedStatus: "RUNNING" });
          } else {
            const synced = runCli(["sync", "--no-runs", "--url", server.url], { workspace: home.root });
            expect(synced.code, synced.stdout + synced.stderr).toBe(0);
            const remote = await serverSteps(server.url, prefix);
            stored = remote.steps;
            expect(remote.status).toBe("RUNNING"); // never claimed COMPLETED for a killed client
          }
          expect(stored).toEqual(range(stored.length)); // once each, in order, no gap
          expect(stored.length).toBeGreaterThanOrEqual(acked);
          console.info(
            `[fault matrix] ${language} ${mode} kill -9 after ${after} ack(s): ${acked} acknowledged, ` +
              `${stored.length} stored, ${acked - Math.min(acked, new Set(stored).size)} lost, ` +
              `${stored.length - new Set(stored).size} duplicated`,
          );

          // The other language resumes it (taking over the dead owner's lock) and ends it.
          const resumed = start(other(language), home.root, {
            ...env,
            START: String(stored.length),
            COUNT: "20",
          });
          expect(await resumed.exited, resumed.stderr()).toBe(0);
          const after2 =
            mode === "local"
              ? { steps: localSteps(root, prefix), status: RunReader.open(prefix, { root }).info().status }
              : await serverSteps(server.url, prefix);
          expect(after2.steps).toEqual(range(stored.length + 20));
          expect(after2.status).toBe("COMPLETED");
        }, 120_000);
      }
    }
  }
});

describe("kill -9 of the server under running clients", () => {
  it("a TypeScript and a Python client: nothing acknowledged is lost, nothing stored twice, both COMPLETED", async () => {
    const home = tempWorkspace("kill-server");
    cleanups.push(home.cleanup);
    const own = await ServerProcess.start(join(home.root, "server"));
    cleanups.push(() => own.stop());
    const common = {
      MODE: "remote",
      ROOT: "",
      LABRUN_HOME: home.root,
      LABRUN_URL: own.url,
      START: "0",
      COUNT: "3000",
    };
    const clients = (["ts", "py"] as Language[]).map((language) =>
      start(language, home.root, { ...common, PREFIX: `alice/kills/server-${language}` }),
    );
    await waitFor("both clients online", () => clients.every((client) => acks(client).length >= 2), 60_000);
    await own.kill();
    const ackedBefore = clients.map((client) => Math.max(...acks(client)));
    await sleep(1000);
    await own.start();
    for (const client of clients) expect(await client.exited, client.stderr()).toBe(0);
    for (const [i, language] of (["ts", "py"] as Language[]).entries()) {
      const { steps, status } = await serverSteps(own.url, `alice/kills/server-${language}`);
      expect(steps.slice(0, ackedBefore[i])).toEqual(range(ackedBefore[i]!));
      expect(steps).toEqual(range(3000));
      expect(status).toBe("COMPLETED");
      console.info(
        `[fault matrix] server kill -9 under a ${language} client: ${ackedBefore[i]} acknowledged before, ` +
          `${steps.length} of 3000 stored, ${3000 - new Set(steps).size} lost, ${steps.length - new Set(steps).size} duplicated`,
      );
    }
  }, 180_000);
});

describe("kill -9 of the experiment driver", () => {
  it("the job's run goes on: every point once, in order, and the job's own final status", async () => {
    const home = tempWorkspace("kill-driver");
    cleanups.push(home.cleanup);
    const job = join(home.root, "train.py");
    writeFileSync(
      job,
      `import time
from labrun import Run
run = Run.current()
for step in range(300):
    run.metrics("train").log(step=step)
    time.sleep(0.01)
run.complete()
`,
    );
    const experiment = join(home.root, "experiment.mts");
    writeFileSync(
      experiment,
      `import { Experiment, LocalExecutor, Script } from ${JSON.stringify(join(repoRoot, "dist", "index.js"))};
const exp = new Experiment("killdriver", { executor: new LocalExecutor() });
exp.add(new Script({ inline: "python3 ${job}", env: { PYTHONPATH: ${JSON.stringify(pythonClient)} } }), { name: "train" });
await exp.run({});
`,
    );
    mkdirSync(join(home.root, "ws"));
    const driver = startCli(["run", experiment], { workspace: join(home.root, "ws") });
    cleanups.push(() => void driver.child.kill("SIGKILL"));
    const data = await waitFor(
      "the job to log",
      () => {
        const file = findFile(join(home.root, "ws", "jobs"), join("run", "metrics", "train", "data.jsonl"));
        return file && strictLines(file).length > 20 ? file : undefined;
      },
      60_000,
    );
    driver.child.kill("SIGKILL");
    await driver.exited;
    const runDir = join(data, "..", "..", "..");
    await waitFor("the job to end on its own", () => existsSync(join(runDir, "..", "exit_code")), 60_000);
    const steps = strictLines(data).map((line) => (line.data as { step: number }).step);
    expect(steps).toEqual(range(300));
    expect(RunReader.openDir(runDir).info().status).toBe("COMPLETED");
  }, 120_000);
});

function findFile(dir: string, suffix: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, suffix);
      if (found) return found;
    } else if (path.endsWith(suffix)) return path;
  }
  return undefined;
}
