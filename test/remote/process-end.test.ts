import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../helpers.js";
import { serveForFile } from "./server-process.js";

const served = serveForFile("remote-end");
const ws = served.workspace;

function script(how: string) {
  return spawnSync(
    process.execPath,
    [join(repoRoot, "test", "remote", "fixtures", "remote-script.mjs"), how],
    {
      cwd: repoRoot,
      env: { ...process.env, LABRUN_URL: served.server.url, LABRUN_HOME: ws.root },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
}

async function stored(prefix: string) {
  const run = await served.store.getRunByPrefix(prefix);
  if (!run) return undefined;
  const train = await served.store.readMetrics(run.id, "train");
  return {
    status: run.status,
    error: run.error,
    points: train.count,
    logs: (await served.store.queryLogs(run.id)).length,
  };
}

describe("a program in remote mode that ends with its run open", () => {
  it("sends everything and COMPLETED when it just ends", async () => {
    const result = script("normal");
    expect(result.status).toBe(0);
    expect(await stored("alice/scripts/normal")).toMatchObject({ status: "COMPLETED", points: 300, logs: 1 });
  });

  it("leaves FAILED and its last batches in the buffer after process.exit(3) or an uncaught error; labrun sync sends them", async () => {
    expect(script("exit3").status).toBe(3);
    expect(script("throw").status).toBe(1);
    const sync = runCli(["sync", "--url", served.server.url, "--no-runs"], { workspace: ws.root });
    expect(sync.code).toBe(0);
    expect(await stored("alice/scripts/exit3")).toMatchObject({ status: "FAILED", points: 300, logs: 1 });
    const thrown = await stored("alice/scripts/throw");
    expect(thrown).toMatchObject({ status: "FAILED", points: 300, logs: 1 });
    expect(thrown?.error).toContain("diverged");
  });
});

describe("a client SIGKILLed while it logs", () => {
  it("leaves its unacknowledged batches in the buffer; labrun sync sends them without duplicating any", async () => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, "test", "remote", "fixtures", "remote-script.mjs"), "forever"],
      {
        cwd: repoRoot,
        env: { ...process.env, LABRUN_URL: served.server.url, LABRUN_HOME: ws.root },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("acknowledged") && resolve());
      child.once("exit", () => reject(new Error("the script ended before the server acknowledged a batch")));
    });
    // Kill it while it logs (requests in flight, buffer files not yet deleted).
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    const dir = join(ws.root, "buffer", "alice", "scripts", "forever");
    const batchFiles = () => readdirSync(dir).filter((name) => /^[0-9a-f-]+-\d+\.json$/.test(name));
    const leftPoints = batchFiles()
      .map(
        (name) =>
          JSON.parse(readFileSync(join(dir, name), "utf8")) as {
            batch: { metrics?: { points: unknown[] }[] };
          },
      )
      .reduce((sum, item) => sum + (item.batch.metrics ?? []).reduce((n, m) => n + m.points.length, 0), 0);
    const runId = (await served.store.getRunByPrefix("alice/scripts/forever"))!.id;
    const before = (await served.store.readMetrics(runId, "train")).count;

    const sync = runCli(["sync", "--url", served.server.url, "--no-runs"], { workspace: ws.root });
    expect(sync.code).toBe(0);
    expect(batchFiles()).toEqual([]);
    const steps = (await served.store.readMetrics(runId, "train")).points.map((p) => p.fields.step as number);
    // Every batch cut before the kill is there once, in order: steps 0, 1, 2, … without a gap or a repeat.
    expect(steps.length).toBeGreaterThan(0);
    expect(steps).toEqual([...Array(steps.length).keys()]);
    // Sync added at most the points of the leftover files (fewer when one was stored but not yet deleted).
    expect(steps.length).toBeGreaterThanOrEqual(before);
    expect(steps.length - before).toBeLessThanOrEqual(leftPoints);
    expect((await served.store.getRun(runId))?.status).toBe("RUNNING"); // nobody ended it
  });
});
