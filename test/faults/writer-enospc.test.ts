import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/util/atomic-file.js";
import { runCli, tempWorkspace } from "../helpers.js";
import { runScript } from "../tracking/helpers.js";
import { runPython, SmallDisk, smallDiskUnavailable, strictLines } from "./writer-disk.js";

// A full disk, for real: a 3 MiB tmpfs nearly filled before the run starts. Each writer must keep what the
// disk refuses, in order, write it once when space comes back, never throw into the training loop, and end
// FAILED with a `lostRecords` count (never COMPLETED) when the space does not come back in time.
const skip = smallDiskUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function disk(): SmallDisk {
  const small = new SmallDisk(3);
  cleanups.push(() => small.cleanup());
  return small;
}

const logEvery = 100;

/** Points and log records stored exactly once and in order (a prefix of what was logged), no torn line. */
function checkRun(runDir: string, logged: number) {
  const points = strictLines(join(runDir, "metrics", "train", "data.jsonl"));
  points.forEach((point, i) => {
    expect(point.index).toBe(i);
    expect((point.data as { step: number }).step).toBe(i);
  });
  const logs = strictLines(join(runDir, "logs", "logs.jsonl"));
  logs.forEach((record, i) => {
    expect(record.sequenceNumber).toBe(i);
    expect((record.metadata as { step: number }).step).toBe(i * logEvery);
  });
  const record = JSON.parse(readFileSync(join(runDir, "experiment.json"), "utf8")) as Record<string, unknown>;
  const total = logged + Math.ceil(logged / logEvery);
  return { points: points.length, logs: logs.length, record, missing: total - points.length - logs.length };
}

const tsWriter = `
import { rmSync } from "node:fs";
const [root, filler, n, free] = [process.env.ROOT, process.env.FILLER, Number(process.env.N), process.env.FREE === "1"];
const run = new labrun.Run({ prefix: "alice/disk/ts", root, flushIntervalMs: 20, flushBytes: 16 * 1024 });
let thrown = 0, sawFailing = false, freed = false;
for (let step = 0; step < n; step++) {
  try {
    run.metrics("train").log({ step, loss: 1 / (step + 1) });
    if (step % ${logEvery} === 0) run.log("step", { step });
  } catch { thrown++; }
  if (step % 250 === 0) await new Promise((r) => setTimeout(r, 2));
  sawFailing ||= run.writeStatus()?.state === "failing";
  if (free && sawFailing && !freed && step > n / 2) { rmSync(filler); freed = true; }
}
await run.complete();
console.log(JSON.stringify({ thrown, sawFailing, freed, write: run.writeStatus() }));
`;

const pyWriter = `
import json, os, sys, time
from labrun import Run
root, filler, n, free = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
run = Run(prefix="alice/disk/py", root=root, flush_interval=0.02, flush_size=2000).start()
thrown = 0; saw_failing = False; freed = False
for step in range(n):
    try:
        run.metrics("train").log(step=step, loss=1 / (step + 1))
        if step % ${logEvery} == 0:
            run.log("step", step=step)
    except Exception:
        thrown += 1
    if step % 250 == 0:
        time.sleep(0.002)
    saw_failing = saw_failing or run.write_status()["state"] == "failing"
    if free and saw_failing and not freed and step > n / 2:
        os.unlink(filler); freed = True
run.complete()
print(json.dumps({"thrown": thrown, "sawFailing": saw_failing, "freed": freed, "write": run.write_status()}))
`;

async function tsRun(small: SmallDisk, n: number, free: boolean) {
  const filler = small.fill(64 * 1024);
  const root = join(small.dir, "runs");
  const child = runScript(small.dir, `writer-${free ? "freed" : "full"}`, tsWriter, {
    ROOT: root,
    FILLER: filler,
    N: String(n),
    FREE: free ? "1" : "0",
  });
  const { code } = await child.exited;
  expect(code, child.output().stderr).toBe(0);
  const out = JSON.parse(child.output().stdout.trim().split("\n").pop()!) as Report;
  return { out, run: checkRun(join(root, "alice", "disk", "ts"), n) };
}

async function pyRun(small: SmallDisk, n: number, free: boolean) {
  const filler = small.fill(64 * 1024);
  const root = join(small.dir, "runs");
  const result = await runPython(pyWriter, [root, filler, String(n), free ? "1" : "0"]);
  expect(result.code, result.stderr).toBe(0);
  const out = JSON.parse(result.stdout.trim().split("\n").pop()!) as Report;
  return { out, run: checkRun(join(root, "alice", "disk", "py"), n) };
}

interface Report {
  readonly thrown: number;
  readonly sawFailing: boolean;
  readonly freed: boolean;
  readonly write: { state: string; pending: number; errors: number; lost: number };
}

describe.skipIf(skip !== undefined)(`writers on a full disk${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("TypeScript: nothing thrown into the loop; once space is freed every point is written once, in order; COMPLETED", async () => {
    const { out, run } = await tsRun(disk(), 20_000, true);
    expect(out).toMatchObject({ thrown: 0, sawFailing: true, freed: true });
    expect(out.write).toMatchObject({ state: "ok", pending: 0, lost: 0 });
    expect(out.write.errors).toBeGreaterThan(0);
    expect(run.points).toBe(20_000);
    expect(run.logs).toBe(200);
    expect(run.record).toMatchObject({ status: "COMPLETED", lostRecords: 0 });
    expect(run.record.writeErrors).toBeGreaterThan(0);
  });

  it("TypeScript: a disk that stays full: a clean prefix is stored and the run ends FAILED with the lost count", async () => {
    const small = disk();
    const { out, run } = await tsRun(small, 60_000, false);
    expect(out.thrown).toBe(0);
    expect(run.missing).toBeGreaterThan(0);
    expect(out.write.lost).toBe(run.missing);
    expect(run.record).toMatchObject({ status: "FAILED", lostRecords: run.missing });
    expect(run.record.statusReason).toContain(`lost ${run.missing} record(s)`);
    // What `labrun runs show` tells (text and JSON).
    const workspace = tempWorkspace("show-enospc");
    cleanups.push(workspace.cleanup);
    const target = ["alice/disk/ts", "--root", join(small.dir, "runs")];
    const shown = runCli(["runs", "show", ...target], { workspace: workspace.root });
    expect(shown.stdout).toContain(`record(s) lost`);
    expect(shown.stdout).toContain(`${run.missing} record(s) lost; last: ENOSPC`);
    const json = JSON.parse(
      runCli(["--json", "runs", "show", ...target], { workspace: workspace.root }).stdout,
    );
    expect(json).toMatchObject({ status: "FAILED", lostRecords: run.missing });
    expect(json.writeErrors).toBeGreaterThan(0);
  });

  it("Python: nothing raised into the loop; once space is freed every point is written once, in order; COMPLETED", async () => {
    const { out, run } = await pyRun(disk(), 20_000, true);
    expect(out).toMatchObject({ thrown: 0, sawFailing: true, freed: true });
    expect(out.write).toMatchObject({ state: "ok", pending: 0, lost: 0 });
    expect(run.points).toBe(20_000);
    expect(run.logs).toBe(200);
    expect(run.record).toMatchObject({ status: "COMPLETED", lostRecords: 0 });
    expect(run.record.writeErrors).toBeGreaterThan(0);
  });

  it("Python: a disk that stays full (60,000 points): no duplicate, no garbled line, FAILED with the lost count", async () => {
    const { out, run } = await pyRun(disk(), 60_000, false);
    expect(out.thrown).toBe(0);
    expect(run.missing).toBeGreaterThan(0);
    expect(out.write.lost).toBe(run.missing);
    expect(run.record).toMatchObject({ status: "FAILED", lostRecords: run.missing });
  });

  it("labrun log: a refused write exits non-zero, leaves the files as they were, and works once space is back", () => {
    const small = disk();
    const workspace = tempWorkspace("log-enospc");
    cleanups.push(workspace.cleanup);
    const root = join(small.dir, "runs");
    const target = ["--prefix", "alice/disk/cli", "--root", root];
    expect(runCli(["log", "metric", "train", "step=0", ...target], { workspace: workspace.root }).code).toBe(
      0,
    );
    const file = join(root, "alice", "disk", "cli", "metrics", "train", "data.jsonl");
    const before = readFileSync(file);
    small.fill(16 * 1024); // room for experiment.json, not for the record
    // Larger than what is left: the disk takes part of it, then refuses the rest.
    const big = `note=${"x".repeat(64 * 1024)}`;
    const refused = runCli(["log", "metric", "train", "step=1", big, ...target], {
      workspace: workspace.root,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Could not write 1 record(s) of run alice/disk/cli");
    expect(refused.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
    expect(readFileSync(file).equals(before)).toBe(true);
    small.release();
    const again = runCli(["log", "metric", "train", "step=1", big, ...target], { workspace: workspace.root });
    expect(again.code, again.stderr).toBe(0);
    expect(strictLines(file).map((line) => (line.data as { step: number }).step)).toEqual([0, 1]);
  });

  it("an atomic replace (TS and Python) on a full disk keeps the old file and leaves no temporary file", async () => {
    const small = disk();
    const file = join(small.dir, "status.json");
    writeFileSync(file, '{"old":true}\n');
    small.fill(0);
    expect(() => writeFileAtomic(file, JSON.stringify({ big: "y".repeat(256 * 1024) }))).toThrow(/ENOSPC/);
    expect(readFileSync(file, "utf8")).toBe('{"old":true}\n');
    expect(readdirSync(small.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    // The Python client's atomic replace, the same way.
    const python = await runPython(
      `import sys
from labrun import _jsonio
try:
    _jsonio.write_json_atomic(sys.argv[1], {"big": "y" * 262144})
except OSError as error:
    print(error.errno)`,
      [file],
    );
    expect(python.stdout.trim()).toBe("28"); // ENOSPC
    expect(readFileSync(file, "utf8")).toBe('{"old":true}\n');
    expect(readdirSync(small.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

// The on-disk buffer of remote mode on a full disk, with the server down: batches the buffer refuses stay in
// memory; when the run ends after space came back, they are written to the buffer, in order, and
// `labrun sync` delivers every point once.
const tsRemote = `
import { rmSync } from "node:fs";
const run = new labrun.Run({
  prefix: "alice/disk/remote-ts",
  remote: { batchIntervalMs: 30, retryDelayMs: 50, maxRetryDelayMs: 200, closeTimeoutMs: 500 },
});
for (let step = 0; step < 2000; step++) {
  run.metrics("train").log({ step });
  if (step % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
}
rmSync(process.env.FILLER);
await run.complete();
console.log(JSON.stringify(run.remoteStatus()));
`;

const pyRemote = `
import json, os, time
from labrun import Run
run = Run(prefix="alice/disk/remote-py", flush_interval=0.03,
          remote={"retry_delay": 0.05, "max_retry_delay": 0.2, "close_timeout": 0.5}).start()
for step in range(2000):
    run.metrics("train").log(step=step)
    if step % 100 == 0:
        time.sleep(0.02)
os.unlink(os.environ["FILLER"])
run.complete()
print(json.dumps(run.remote_status()))
`;

describe.skipIf(skip !== undefined)(
  `the remote buffer on a full disk${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    for (const language of ["ts", "py"] as const) {
      it(`${language === "ts" ? "TypeScript" : "Python"}: refused buffer writes are kept, written at the end once space is back, and synced once`, async () => {
        const small = disk();
        const { ServerProcess, freePort } = await import("../remote/server-process.js");
        const { HttpStore } = await import("../../src/store/http/http-store.js");
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const filler = small.fill(0);
        const env = { LABRUN_URL: url, LABRUN_HOME: small.dir, FILLER: filler, LABRUN_TOKEN: "" };
        let stderr: string;
        if (language === "ts") {
          const scripts = tempWorkspace("remote-enospc");
          cleanups.push(scripts.cleanup);
          const child = runScript(scripts.root, "remote", tsRemote, env);
          const { code } = await child.exited;
          stderr = child.output().stderr;
          expect(code, stderr).toBe(0);
        } else {
          const result = await runPython(pyRemote, [], 120_000, env);
          stderr = result.stderr;
          expect(result.code, stderr).toBe(0);
        }
        expect(stderr).toContain("cannot write the buffer");
        expect(stderr).not.toContain("are lost");
        const workspace = tempWorkspace("remote-enospc-server");
        cleanups.push(workspace.cleanup);
        const server = new ServerProcess(join(workspace.root, "server"), port);
        await server.start();
        cleanups.push(() => server.stop());
        const synced = runCli(["sync", "--no-runs", "--url", url], { workspace: small.dir });
        expect(synced.code, synced.stdout + synced.stderr).toBe(0);
        const store = new HttpStore({ url });
        const run = await store.getRunByPrefix(`alice/disk/remote-${language}`);
        expect(run?.status).toBe("COMPLETED");
        const series = await store.readMetrics(run!.id, "train");
        expect(series.points.map((point) => point.fields.step)).toEqual([...Array(2000).keys()]);
      }, 120_000);
    }
  },
);

describe.skipIf(skip !== undefined)(
  `labrun log param and file on a full disk${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    it("exit 1 with RUN_WRITE_FAILED, the old parameters kept, no partial stored file left", () => {
      const small = disk();
      const workspace = tempWorkspace("log-param-enospc");
      cleanups.push(workspace.cleanup);
      const root = join(small.dir, "runs");
      const target = ["--prefix", "alice/disk/params", "--root", root];
      expect(runCli(["log", "param", "lr=0.1", ...target], { workspace: workspace.root }).code).toBe(0);
      const runDir = join(root, "alice", "disk", "params");
      const params = readFileSync(join(runDir, "parameters.json"), "utf8");
      const big = join(workspace.root, "big.bin");
      writeFileSync(big, Buffer.alloc(512 * 1024, 1));
      small.fill(16 * 1024);
      const refused = runCli(["log", "param", `note=${"n".repeat(64 * 1024)}`, ...target], {
        workspace: workspace.root,
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("Could not write parameters.json of run alice/disk/params");
      expect(readFileSync(join(runDir, "parameters.json"), "utf8")).toBe(params);
      const file = runCli(["log", "file", "models", big, ...target], { workspace: workspace.root });
      expect(file.code).toBe(1);
      expect(file.stderr).toContain(`Could not write ${big} of run alice/disk/params`);
      expect(
        existsSync(join(runDir, "files", "models")) ? readdirSync(join(runDir, "files", "models")) : [],
      ).toEqual([]);
    });
  },
);
