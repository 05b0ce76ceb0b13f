import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Run } from "../../src/tracking/run.js";
import { runCli } from "../helpers.js";
import { serveForFile } from "./server-process.js";

const served = serveForFile("sync");
const workspace = served.workspace;
const runsRoot = join(workspace.root, "runs");

async function snapshot(prefix: string) {
  const run = await served.store.getRunByPrefix(prefix);
  if (!run) return undefined;
  const streams = await served.store.listMetricStreams(run.id);
  return {
    status: run.status,
    tags: run.tags,
    description: run.description,
    params: await served.store.getParams(run.id),
    streams: Object.fromEntries(streams.map((s) => [s.stream, s.count])),
    logs: (await served.store.queryLogs(run.id)).map((l) => l.message),
    files: (await served.store.listFiles(run.id)).map((f) => `${f.prefix}/${f.filename}:${f.size}`).sort(),
  };
}

describe("labrun sync", () => {
  it("uploads local-mode runs (params, metrics, logs, tracks, files, status) and stores nothing twice", async () => {
    const source = join(workspace.root, "weights.bin");
    writeFileSync(source, "0123456789");
    {
      await using run = new Run({
        prefix: "bob/nlp/bert",
        root: runsRoot,
        tags: ["t1"],
        description: "BERT",
        url: false,
      });
      run.params.set({ lr: 0.01, opt: { name: "adam" } });
      for (let step = 0; step < 12_000; step++)
        run.metrics("train").log({ step, loss: step === 7 ? NaN : 1 / (step + 1) });
      run.metrics.log({ epoch: 1 });
      for (let i = 0; i < 30; i++) run.log(`line ${i}`, { level: i % 10 === 0 ? "warn" : "info" });
      run.tracks("arm/pose").append({ _ts: 2, x: 1, q: [1, 0] });
      run.metrics("hist").log({ bins: [1, 2, NaN], meta: { k: Infinity } });
      await run.files("ckpt").save(source);
    }
    const failed = new Run({ prefix: "bob/nlp/broken", root: runsRoot, url: false });
    failed.log("about to fail");
    await failed.fail(new Error("out of memory"));

    const env = { LABRUN_RUNS: "" };
    const first = runCli(["sync", "--url", served.server.url, "--root", runsRoot], {
      workspace: workspace.root,
      env,
    });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      "bob/nlp/bert: created, 12003 point(s), 30 log record(s), 1 file(s), status COMPLETED",
    );
    expect(first.stdout).toContain("Synced 2 run(s)");
    const after = await snapshot("bob/nlp/bert");
    expect(after).toEqual({
      status: "COMPLETED",
      tags: ["t1"],
      description: "BERT",
      params: { lr: 0.01, "opt.name": "adam" },
      streams: { train: 12_000, "": 1, "track.arm_pose": 1, hist: 1 },
      logs: Array.from({ length: 30 }, (_, i) => `line ${i}`),
      files: ["ckpt/weights.bin:10"],
    });
    const bert = await served.store.getRunByPrefix("bob/nlp/bert");
    const nan = await served.store.readMetrics(bert!.id, "train", { from: 7, to: 8 });
    expect(nan.points[0]!.fields.loss).toBeNaN();
    expect((await served.store.readMetrics(bert!.id, "hist")).points[0]!.fields).toEqual({
      bins: [1, 2, NaN],
      meta: { k: Infinity },
    });
    expect((await served.store.readMetrics(bert!.id, "track.arm_pose")).points[0]).toMatchObject({
      ts: 2,
      fields: { x: 1, q: [1, 0] },
    });
    const broken = await served.store.getRunByPrefix("bob/nlp/broken");
    expect(broken?.status).toBe("FAILED");
    expect(broken?.error).toContain("out of memory");

    // Twice: nothing new is stored.
    const second = runCli(["sync", "--url", served.server.url, "--root", runsRoot], {
      workspace: workspace.root,
      env,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("bob/nlp/bert: up to date");
    expect(await snapshot("bob/nlp/bert")).toEqual(after);

    // The run resumed locally: only what is new goes up.
    {
      await using run = new Run({ prefix: "bob/nlp/bert", root: runsRoot, url: false });
      for (let step = 12_000; step < 12_010; step++) run.metrics("train").log({ step });
      run.log("resumed");
    }
    const third = runCli(
      ["sync", "--url", served.server.url, "--root", runsRoot, "--prefix", "bob/nlp/bert", "--json"],
      {
        workspace: workspace.root,
        env,
      },
    );
    expect(third.code).toBe(0);
    const result = JSON.parse(third.stdout) as { runs: { prefix: string; points: number; logs: number }[] };
    expect(result.runs).toEqual([expect.objectContaining({ prefix: "bob/nlp/bert", points: 10, logs: 1 })]);
    const resumed = await served.store.getRunByPrefix("bob/nlp/bert");
    const train = await served.store.readMetrics(resumed!.id, "train", { from: 11_995 });
    expect(train.count).toBe(12_010);
    expect(train.points.map((p) => p.fields.step)).toEqual([
      11_995,
      11_996,
      11_997,
      11_998,
      11_999,
      ...Array.from({ length: 10 }, (_, i) => 12_000 + i),
    ]);
  });

  it("says what to do without a server", () => {
    const result = runCli(["sync", "--root", runsRoot], {
      workspace: workspace.root,
      env: { LABRUN_URL: "" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--url");
  });

  it("exits non-zero when the server cannot be reached", () => {
    const result = runCli(["sync", "--url", "http://127.0.0.1:1", "--root", runsRoot], {
      workspace: workspace.root,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("SERVER_UNREACHABLE");
  });
});
