import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { Run } from "../../src/tracking/run.js";
import { HttpStore } from "../../src/store/http/http-store.js";
import { runCli, tempWorkspace } from "../helpers.js";
import { freePort, ServerProcess } from "./server-process.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup() {
  const workspace = tempWorkspace("remote-faults");
  cleanups.push(workspace.cleanup);
  return workspace;
}

function bufferFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith(".json") && name !== "remote-status.json");
}

const fast = (bufferDir: string, extra: Record<string, unknown> = {}) => ({
  bufferDir,
  batchIntervalMs: 30,
  retryDelayMs: 30,
  maxRetryDelayMs: 150,
  quiet: true,
  ...extra,
});

describe("remote mode when the server is away", () => {
  it("keeps logging while the server is down at start, buffers, and delivers every batch once when it comes up", async () => {
    const { root } = setup();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const bufferRoot = join(root, "buffer");
    const run = new Run({
      prefix: "alice/vision/late",
      url,
      remote: fast(bufferRoot, { closeTimeoutMs: 60_000 }),
    });
    // The training loop: no exception, and every call returns (the network is never awaited).
    let calls = 0;
    for (let step = 0; step < 2000; step++) {
      run.metrics("train").log({ step, loss: 1 / (step + 1) });
      calls++;
      if (step % 100 === 0) {
        run.log(`step ${step}`);
        calls++;
        await sleep(5); // lets the timers cut batches
      }
    }
    await run.flush(); // does not wait while the server is unreachable
    expect(calls).toBe(2020);
    const down = run.remoteStatus()!;
    expect(down.state).toBe("retrying");
    expect(down.acknowledgedBatches).toBe(0);
    expect(down.pending).toBeGreaterThan(1);
    expect(down.retries).toBeGreaterThan(0);
    expect(down.errors).toBeGreaterThan(0);
    expect(down.lastError?.code).toBe("SERVER_UNREACHABLE");
    const dir = join(bufferRoot, "alice", "vision", "late");
    expect(bufferFiles(dir).length).toBe(down.pending);

    const server = new ServerProcess(join(root, "server"), port);
    await server.start();
    cleanups.push(() => server.stop());
    await run.complete();
    const up = run.remoteStatus()!;
    expect(up).toMatchObject({ pending: 0, rejected: 0, state: "closed" });
    expect(bufferFiles(dir)).toEqual([]);

    const store = new HttpStore({ url });
    const stored = await store.getRunByPrefix("alice/vision/late");
    expect(stored?.status).toBe("COMPLETED");
    const series = await store.readMetrics(stored!.id, "train");
    expect(series.count).toBe(2000);
    expect(series.points.map((p) => p.fields.step)).toEqual([...Array(2000).keys()]);
    expect((await store.queryLogs(stored!.id)).length).toBe(20);
  });

  it("loses no acknowledged batch and stores none twice when the server is SIGKILLed mid-logging and restarted", async () => {
    const { root } = setup();
    const server = await ServerProcess.start(join(root, "server"));
    cleanups.push(() => server.stop());
    const run = new Run({
      prefix: "alice/vision/killed",
      url: server.url,
      remote: fast(join(root, "buffer"), { batchMaxItems: 50, closeTimeoutMs: 60_000 }),
    });
    const total = 3000;
    let killed = false;
    for (let step = 0; step < total; step++) {
      run.metrics("train").log({ step });
      if (step % 50 === 0) await sleep(2);
      if (step === 1000) {
        await server.kill(); // mid-logging, requests in flight
        killed = true;
      }
      if (step === 2000) await server.start();
    }
    expect(killed).toBe(true);
    await run.complete();
    const status = run.remoteStatus()!;
    expect(status).toMatchObject({ pending: 0, rejected: 0 });
    expect(status.retries).toBeGreaterThan(0);

    const store = new HttpStore({ url: server.url });
    const stored = await store.getRunByPrefix("alice/vision/killed");
    const series = await store.readMetrics(stored!.id, "train");
    // Every point exactly once, in order: re-sent batches were recognised by (clientId, seq).
    expect(series.points.map((p) => p.fields.step)).toEqual([...Array(total).keys()]);
    expect(stored?.status).toBe("COMPLETED");
  });

  it("ends within closeTimeoutMs while the server is down, leaving the batches for labrun sync, which sends them once", async () => {
    const { root } = setup();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const bufferRoot = join(root, "buffer");
    const run = new Run({
      prefix: "alice/vision/offline",
      url,
      remote: fast(bufferRoot, { closeTimeoutMs: 300 }),
    });
    run.params.set({ lr: 0.1 });
    for (let step = 0; step < 100; step++) run.metrics("train").log({ step });
    run.log("done");
    await run.complete(); // returns although nothing was acknowledged
    expect(run.status).toBe("COMPLETED");
    const left = run.remoteStatus()!;
    expect(left.state).toBe("closed");
    expect(left.pending).toBeGreaterThan(0);
    expect(bufferFiles(join(bufferRoot, "alice", "vision", "offline")).length).toBe(left.pending);

    // `labrun runs show` tells what the run left behind, though it has no local folder.
    const shown = runCli(["runs", "show", "alice/vision/offline"], { workspace: root });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      `remote ${url}: closed, 0 batch(es) acknowledged, ${left.pending} pending`,
    );
    expect(shown.stdout).toContain("labrun sync");

    const server = new ServerProcess(join(root, "server"), port);
    await server.start();
    cleanups.push(() => server.stop());
    const first = runCli(["sync", "--url", url, "--no-runs"], { workspace: root });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/buffer: \d+ batch\(es\) sent/);
    expect(bufferFiles(join(bufferRoot, "alice", "vision", "offline"))).toEqual([]);
    const second = runCli(["sync", "--url", url, "--no-runs"], { workspace: root });
    expect(second.code).toBe(0);

    const store = new HttpStore({ url });
    const stored = await store.getRunByPrefix("alice/vision/offline");
    expect(stored?.status).toBe("COMPLETED");
    expect(await store.getParams(stored!.id)).toEqual({ lr: 0.1 });
    expect((await store.readMetrics(stored!.id, "train")).count).toBe(100);
    expect((await store.queryLogs(stored!.id)).map((l) => l.message)).toEqual(["done"]);
  });

  it("skips an upload whose file was replaced while waiting, and sends the new one (local: true)", async () => {
    const { root } = setup();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = new Run({
      prefix: "alice/vision/replaced",
      url,
      local: true,
      root: join(root, "runs"),
      remote: fast(join(root, "buffer"), { closeTimeoutMs: 30_000 }),
    });
    await run.files("models").save(Buffer.from("first"), { name: "m.txt" });
    await run.files("models").save(Buffer.from("second"), { name: "m.txt" }); // deletes the first local copy
    const server = new ServerProcess(join(root, "server"), port);
    await server.start();
    cleanups.push(() => server.stop());
    await run.complete(); // does not retry the missing first copy forever
    expect(run.remoteStatus()).toMatchObject({ pending: 0, uploadedFiles: 1, rejected: 1 });
    const store = new HttpStore({ url });
    const stored = await store.getRunByPrefix("alice/vision/replaced");
    const files = await store.listFiles(stored!.id);
    expect(files.map((f) => f.filename)).toEqual(["m.txt"]);
    expect((await store.downloadFile(stored!.id, files[0]!.id)).toString()).toBe("second");
  });

  it("creates the run again when the server comes back without it (a new database)", async () => {
    const { root } = setup();
    const first = await ServerProcess.start(join(root, "server-a"));
    const run = new Run({
      prefix: "alice/vision/moved",
      url: first.url,
      remote: fast(join(root, "buffer"), { closeTimeoutMs: 30_000 }),
    });
    run.metrics("train").log({ step: 0 });
    await run.flush();
    expect(run.remoteStatus()?.acknowledgedBatches).toBeGreaterThan(0);
    await first.stop();
    const second = new ServerProcess(join(root, "server-b"), first.port);
    await second.start();
    cleanups.push(() => second.stop());
    run.metrics("train").log({ step: 1 });
    await run.complete();
    expect(run.remoteStatus()).toMatchObject({ pending: 0, rejected: 0 });
    const store = new HttpStore({ url: second.url });
    const stored = await store.getRunByPrefix("alice/vision/moved");
    expect(stored?.status).toBe("COMPLETED");
    expect((await store.readMetrics(stored!.id, "train")).points.map((p) => p.fields)).toEqual([{ step: 1 }]);
  });

  it("keeps the batches when the server refuses the token, and sync with a good token sends them", async () => {
    const { root } = setup();
    const server = await ServerProcess.start(join(root, "server"), { auth: true });
    cleanups.push(() => server.stop());
    const good = server.createToken("vision");
    const bufferRoot = join(root, "buffer");
    const run = new Run({
      prefix: "alice/vision/token",
      url: server.url,
      token: "lrt_wrong",
      remote: fast(bufferRoot, { closeTimeoutMs: 2000 }),
    });
    run.metrics("train").log({ step: 1 });
    await run.complete();
    const refused = run.remoteStatus()!;
    expect(refused.lastError?.code).toBe("UNAUTHORIZED");
    expect(refused.pending).toBeGreaterThan(0);
    const other = server.createToken("audio");
    const wrongProject = new Run({
      prefix: "alice/vision/token2",
      url: server.url,
      token: other,
      remote: fast(bufferRoot, { closeTimeoutMs: 2000 }),
    });
    await wrongProject.complete();
    expect(wrongProject.remoteStatus()?.lastError?.code).toBe("FORBIDDEN");

    const synced = runCli(
      ["sync", "--url", server.url, "--token", good, "--no-runs", "--prefix", "alice/vision/token"],
      { workspace: root },
    );
    expect(synced.code).toBe(0);
    const store = new HttpStore({ url: server.url, token: good });
    const stored = await store.getRunByPrefix("alice/vision/token");
    expect(stored?.status).toBe("COMPLETED");
    expect((await store.readMetrics(stored!.id, "train")).count).toBe(1);

    // A run of another project: the token may not write it (403); sync keeps it buffered for a token that
    // may, and says so. (Refused credentials never move a batch to rejected/.)
    const audio = new Run({
      prefix: "alice/audio/other",
      url: server.url,
      token: "lrt_wrong",
      remote: fast(bufferRoot, { closeTimeoutMs: 500 }),
    });
    audio.metrics("train").log({ step: 1 });
    await audio.complete();
    const refusedSync = runCli(["sync", "--url", server.url, "--token", good, "--no-runs"], {
      workspace: root,
    });
    expect(refusedSync.code).toBe(1);
    expect(refusedSync.stdout).toContain("the server refused the token (FORBIDDEN");
    expect(bufferFiles(join(bufferRoot, "alice", "audio", "other")).length).toBeGreaterThan(0);
    expect(bufferFiles(join(bufferRoot, "alice", "audio", "other", "rejected"))).toEqual([]);
    // The run of the token's project went through meanwhile.
    expect(bufferFiles(join(bufferRoot, "alice", "vision", "token2"))).toEqual([]);
    const audioToken = server.createToken("audio");
    const audioSync = runCli(["sync", "--url", server.url, "--token", audioToken, "--no-runs"], {
      workspace: root,
    });
    expect(audioSync.code, audioSync.stdout).toBe(0);
    expect(bufferFiles(join(bufferRoot, "alice", "audio", "other"))).toEqual([]);
  });
});
