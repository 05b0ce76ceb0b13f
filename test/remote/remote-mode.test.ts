import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Run } from "../../src/tracking/run.js";
import { RunNotFoundError, isLabrunError } from "../../src/errors.js";
import { runCli } from "../helpers.js";
import { serveForFile } from "./server-process.js";

const served = serveForFile("remote");
const workspace = served.workspace;
const remote = (extra: Record<string, unknown> = {}) => ({
  bufferDir: join(workspace.root, "buffer"),
  batchIntervalMs: 50,
  retryDelayMs: 50,
  maxRetryDelayMs: 200,
  ...extra,
});

describe("remote mode (TypeScript SDK) against labrun serve", () => {
  it("sends params, metrics (NaN, ±Infinity), logs, tracks, description, tags, bindrs, files and status", async () => {
    const source = join(workspace.root, "model.bin");
    writeFileSync(source, "weights");
    const root = join(workspace.root, "runs");
    {
      await using run = new Run({
        prefix: "alice/vision/full",
        url: served.server.url,
        root,
        description: "ResNet",
        tags: ["baseline"],
        bindrs: ["gpu"],
        remote: remote(),
      });
      run.params.set({ lr: 0.001, model: { depth: 50 } });
      expect(run.params.get()).toEqual({ lr: 0.001, "model.depth": 50 });
      for (let step = 0; step < 500; step++) run.metrics("train").log({ loss: 1 / (step + 1), step });
      run.metrics("eval").log({ a: NaN, b: Infinity, c: -Infinity, nested: { x: 1 } });
      run.metrics.log({ epoch: 1 });
      run.log("started", { level: "warn", epoch: 1 });
      run.logs.error("boom", { code: 3 });
      run.tracks("robot/pos").append({ _ts: 1.5, x: 0.25 });
      await run.files("models").save(source);
      await run.files().save(Buffer.from("{}"), { name: "config.json" });
      expect(run.files("models").exists("model.bin")).toBe(true);
    }
    // Remote only: no local folder was written.
    expect(existsSync(join(root, "alice"))).toBe(false);
    const stored = await served.store.getRunByPrefix("alice/vision/full");
    expect(stored).toMatchObject({
      status: "COMPLETED",
      description: "ResNet",
      tags: ["baseline"],
      bindrs: ["gpu"],
    });
    const id = stored!.id;
    expect(await served.store.getParams(id)).toEqual({ lr: 0.001, "model.depth": 50 });
    const train = await served.store.readMetrics(id, "train");
    expect(train.count).toBe(500);
    expect(train.points.map((p) => p.fields.step)).toEqual([...Array(500).keys()]);
    const evalPoint = (await served.store.readMetrics(id, "eval")).points[0]!.fields;
    expect(evalPoint.a).toBeNaN();
    expect(evalPoint.b).toBe(Infinity);
    expect(evalPoint.c).toBe(-Infinity);
    expect(evalPoint.nested).toEqual({ x: 1 });
    expect((await served.store.readMetrics(id, "")).points[0]!.fields).toEqual({ epoch: 1 });
    expect((await served.store.readMetrics(id, "track.robot_pos")).points[0]).toMatchObject({
      ts: 1.5,
      fields: { x: 0.25 },
    });
    const logs = await served.store.queryLogs(id);
    expect(logs.map((l) => [l.level, l.message, l.metadata])).toEqual([
      ["warn", "started", { epoch: 1 }],
      ["error", "boom", { code: 3 }],
    ]);
    const files = await served.store.listFiles(id);
    expect(files.map((f) => `${f.prefix}/${f.filename}`).sort()).toEqual([
      "/config.json",
      "models/model.bin",
    ]);
    const model = files.find((f) => f.filename === "model.bin")!;
    expect((await served.store.downloadFile(id, model.id)).toString()).toBe("weights");
    // Nothing left in the buffer once acknowledged.
    expect(
      readdirSync(join(workspace.root, "buffer", "alice", "vision", "full")).filter(
        (f) => f.endsWith(".json") && f !== "remote-status.json",
      ),
    ).toEqual([]);
  });

  it("reports its remote status and a failure as FAILED with the error", async () => {
    const run = new Run({ prefix: "alice/vision/failed", url: served.server.url, remote: remote() });
    run.metrics("train").log({ loss: 1 });
    await run.fail(new Error("diverged"));
    const status = run.remoteStatus()!;
    expect(status).toMatchObject({
      state: "closed",
      pending: 0,
      rejected: 0,
      errors: 0,
      url: served.server.url,
    });
    expect(status.acknowledgedBatches).toBeGreaterThanOrEqual(1);
    const stored = await served.store.getRunByPrefix("alice/vision/failed");
    expect(stored?.status).toBe("FAILED");
    expect(stored?.error).toContain("diverged");
  });

  it("writes both the local folder and the server with local: true", async () => {
    const root = join(workspace.root, "both");
    const run = new Run({
      prefix: "alice/vision/both",
      url: served.server.url,
      local: true,
      root,
      remote: remote(),
    });
    run.params.set({ lr: 0.5 });
    run.metrics("train").log({ loss: 0.5 });
    await run.complete();
    const reader = Run.open("alice/vision/both", { root });
    expect(reader.status).toBe("COMPLETED");
    expect(reader.params.get()).toEqual({ lr: 0.5 });
    const stored = await served.store.getRunByPrefix("alice/vision/both");
    expect(stored?.status).toBe("COMPLETED");
    expect((await served.store.readMetrics(stored!.id, "train")).count).toBe(1);
  });

  it("takes the server from LABRUN_URL, and rejects a bad value at the call as local mode does", async () => {
    process.env.LABRUN_URL = served.server.url;
    try {
      const run = new Run({ prefix: "alice/vision/env", remote: remote() });
      expect(() => run.metrics("train").log({ f: () => 1 } as never)).toThrow(/cannot be stored as JSON/);
      expect(() => run.metrics("a/b")).toThrow();
      run.metrics("train").log({ ok: 1 });
      await run.complete();
      expect(run.remoteStatus()?.url).toBe(served.server.url);
    } finally {
      delete process.env.LABRUN_URL;
    }
    const stored = await served.store.getRunByPrefix("alice/vision/env");
    expect((await served.store.readMetrics(stored!.id, "train")).points.map((p) => p.fields)).toEqual([
      { ok: 1 },
    ]);
  });

  it("an attached writer (labrun log with LABRUN_URL) adds to a finished run without reopening it", async () => {
    const owner = new Run({ prefix: "alice/vision/attached", url: served.server.url, remote: remote() });
    owner.metrics("train").log({ step: 0 });
    await owner.complete();
    const env = { LABRUN_URL: served.server.url };
    const metric = runCli(["log", "metric", "--prefix", "alice/vision/attached", "train", "step=1"], {
      workspace: workspace.root,
      env,
    });
    expect(metric.stderr).toBe("");
    expect(metric.code).toBe(0);
    const message = runCli(
      ["log", "msg", "--prefix", "alice/vision/attached", "--level", "warn", "late note"],
      {
        workspace: workspace.root,
        env,
      },
    );
    expect(message.code).toBe(0);
    const stored = await served.store.getRunByPrefix("alice/vision/attached");
    expect(stored?.status).toBe("COMPLETED");
    expect((await served.store.readMetrics(stored!.id, "train")).points.map((p) => p.fields)).toEqual([
      { step: 0 },
      { step: 1 },
    ]);
    expect((await served.store.queryLogs(stored!.id)).map((l) => [l.level, l.message])).toEqual([
      ["warn", "late note"],
    ]);
  });

  it("HttpStore rebuilds the server's error classes", async () => {
    const error = await served.store
      .applyBatch("no-such-run", { clientId: "c", seq: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunNotFoundError);
    expect(isLabrunError(error) && error.code).toBe("RUN_NOT_FOUND");
    expect((error as Error).message).toContain("no-such-run");
    expect(await served.store.getRun("no-such-run")).toBeUndefined();
    const bad = await served.store.upsertRun({ prefix: "../x" }).catch((e: unknown) => e);
    expect((bad as { code?: string }).code).toBe("INVALID_PREFIX");
  });
});
