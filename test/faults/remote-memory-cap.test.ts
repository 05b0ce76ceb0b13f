import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { HttpStore } from "../../src/store/http/http-store.js";
import { tempWorkspace } from "../helpers.js";
import { freePort, ServerProcess } from "../remote/server-process.js";
import { runScript } from "../tracking/helpers.js";
import { runPython, SmallDisk, smallDiskUnavailable } from "./writer-disk.js";

// Remote mode with both ways out failing: the buffer's disk full (a real 3 MiB tmpfs) and no server. The
// batches held in memory stay under `maxMemoryBytes` / `max_memory`; later ones are dropped and counted
// (`lost`), reported on stderr; nothing reaches the program, and once the server is back the run ends
// FAILED there with the count, never COMPLETED.
const skip = smallDiskUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const points = 20_000;
const cap = 200_000;

const tsProgram = `
import { existsSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
const run = new labrun.Run({
  prefix: "alice/cap/ts",
  remote: { batchIntervalMs: 10, retryDelayMs: 50, maxRetryDelayMs: 100, closeTimeoutMs: 10000, maxMemoryBytes: ${cap} },
});
let thrown = 0;
for (let step = 0; step < ${points}; step++) {
  try { run.metrics("train").log({ step, loss: 1 / (step + 1) }); } catch { thrown++; }
  if (step % 200 === 0) await sleep(5);
}
await sleep(50);
const during = run.remoteStatus();
writeFileSync(process.env.READY, "");
while (!existsSync(process.env.GO)) await sleep(20);
await run.complete();
console.log(JSON.stringify({ thrown, during, after: run.remoteStatus() }));
`;

const pyProgram = `
import json, os, time
from labrun import Run
run = Run(prefix="alice/cap/py", flush_interval=0.01,
          remote={"retry_delay": 0.05, "max_retry_delay": 0.1, "close_timeout": 10, "max_memory": ${cap}}).start()
thrown = 0
for step in range(${points}):
    try:
        run.metrics("train").log(step=step, loss=1 / (step + 1))
    except Exception:
        thrown += 1
    if step % 200 == 0:
        time.sleep(0.005)
run.flush()
time.sleep(0.05)
during = run.remote_status()
open(os.environ["READY"], "w").close()
while not os.path.exists(os.environ["GO"]):
    time.sleep(0.02)
run.complete()
print(json.dumps({"thrown": thrown, "during": during, "after": run.remote_status()}))
`;

interface Status {
  readonly pending: number;
  readonly lost: number;
  readonly acknowledgedBatches: number;
  readonly state: string;
}

describe.skipIf(skip !== undefined)(
  `remote mode with a full buffer disk and no server${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    for (const language of ["ts", "py"] as const) {
      it(`${language === "ts" ? "TypeScript" : "Python"}: memory stays capped, the overflow is counted and reported, and the run ends FAILED on the server`, async () => {
        const small = new SmallDisk(3);
        cleanups.push(() => small.cleanup());
        const scratch = tempWorkspace(`remote-cap-${language}`);
        cleanups.push(scratch.cleanup);
        small.fill(0);
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const ready = join(scratch.root, "ready");
        const go = join(scratch.root, "go");
        const env = { LABRUN_URL: url, LABRUN_HOME: small.dir, LABRUN_TOKEN: "", READY: ready, GO: go };
        let exited = false;
        const finished = (
          language === "ts"
            ? (async () => {
                const child = runScript(scratch.root, "cap", tsProgram, env);
                const { code } = await child.exited;
                return { code, ...child.output() };
              })()
            : runPython(pyProgram, [], 120_000, env)
        ).finally(() => (exited = true));
        while (!existsSync(ready) && !exited) await sleep(50);
        const server = new ServerProcess(join(scratch.root, "server"), port);
        await server.start();
        cleanups.push(() => server.stop());
        writeFileSync(go, "");
        const { code, stdout, stderr } = await finished;
        expect(code, stderr).toBe(0);
        const out = JSON.parse(stdout.trim().split("\n").pop()!) as {
          thrown: number;
          during: Status;
          after: Status;
        };
        expect(out.thrown).toBe(0);
        expect(out.during.acknowledgedBatches).toBe(0);
        expect(out.during.lost).toBeGreaterThan(0);
        // What is held is under the cap: each held batch is at least ~100 characters per point it carries.
        expect(out.during.pending).toBeGreaterThan(0);
        expect(stderr).toContain("new batches are dropped");
        expect(out.after.lost).toBe(out.during.lost);
        expect(out.after.pending).toBe(0);
        const store = new HttpStore({ url });
        const run = await store.getRunByPrefix(`alice/cap/${language}`);
        expect(run?.status).toBe("FAILED");
        expect(run?.error).toContain(`lost ${out.after.lost} batch(es)`);
        // Every point the server got is one logged, once, in order; the dropped ones are missing, not garbled.
        const series = await store.readMetrics(run!.id, "train");
        const steps = series.points.map((point) => point.fields.step as number);
        expect(steps.length).toBeGreaterThan(0);
        expect(steps.length).toBeLessThan(points);
        for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThan(steps[i - 1]!);
      }, 120_000);
    }
  },
);
