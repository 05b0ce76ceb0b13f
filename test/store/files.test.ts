import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FilesStore } from "../../src/store/files/files-store.js";
import { openServerStore, openStore } from "../../src/store/open-store.js";
import { ValidatingStore } from "../../src/store/validating-store.js";
import { storeContract } from "../../src/testing/store-contract.js";
import { codeOf } from "../../src/testing/store-contract/context.js";
import { Run } from "../../src/tracking/run.js";
import { processStartTicks } from "../../src/util/process-probe.js";

const dir = mkdtempSync(join(tmpdir(), "labrun-files-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract({
  name: "files",
  create: () => openStore(`files:${join(dir, "contract")}`),
  skip: { tokens: "a run folder has no tokens: its file permissions guard it" },
});

describe("FilesStore", () => {
  it("reads what the SDK's local sink wrote, and the SDK reads what the store wrote (one format)", async () => {
    const root = join(dir, "shared");
    const run = new Run({ prefix: "alice/vision/sdk", root, tags: ["t"] });
    run.params.set({ lr: 0.1, model: { depth: 50 } });
    run.metrics("train").append([0, 1, 2].map((step) => ({ loss: 1 / (step + 1), step })));
    run.log("started", { level: "warn" });
    await run.files("models").save(new Uint8Array([1, 2, 3]), { name: "m.bin" });
    await run.complete();

    const store = new ValidatingStore(new FilesStore({ root }));
    const stored = (await store.getRunByPrefix("alice/vision/sdk"))!;
    expect(stored).toMatchObject({ id: "alice/vision/sdk", tags: ["t"] });
    expect(stored.status).toBe("COMPLETED");
    expect(await store.getParams(stored.id)).toEqual({ lr: 0.1, "model.depth": 50 });
    const series = await store.readMetrics(stored.id, "train");
    expect(series.points.map((p) => [p.index, p.fields])).toEqual([
      [0, { loss: 1, step: 0 }],
      [1, { loss: 0.5, step: 1 }],
      [2, { loss: 1 / 3, step: 2 }],
    ]);
    expect((await store.queryLogs(stored.id)).map((l) => [l.level, l.message])).toEqual([
      ["warn", "started"],
    ]);
    const [file] = await store.listFiles(stored.id, "models");
    expect(file).toMatchObject({ prefix: "models", filename: "m.bin", size: 3 });
    // A file the SDK stored: its key is its path under the store's base.
    expect(readFileSync(join(root, file!.storageKey))).toEqual(Buffer.from([1, 2, 3]));

    const made = await store.upsertRun({ prefix: "alice/vision/store", description: "by the store" });
    await store.applyBatch(made.id, {
      clientId: "c",
      seq: 1,
      params: { lr: 0.2 },
      metrics: [{ stream: "train", points: [{ ts: 1e9, fields: { loss: NaN, step: 0 } }] }],
      logs: [{ level: "info", message: "hello", timestamp: "2026-01-01T00:00:00.000Z" }],
      status: { status: "COMPLETED" },
    });
    const reader = Run.open("alice/vision/store", { root });
    expect(reader.info()).toMatchObject({ status: "COMPLETED", description: "by the store" });
    expect(reader.params.get()).toEqual({ lr: 0.2 });
    const [point] = (await reader.metrics("train").read()).points;
    expect(point!.data).toMatchObject({ step: 0, _ts: 1e9 });
    expect(point!.data.loss).toBeNaN();
    expect((await reader.logs.read()).records.map((r) => r.message)).toEqual(["hello"]);
    await store.close();
  });

  it("owns a run it writes as an SDK owner does, and refuses one a live writer owns", async () => {
    const root = join(dir, "owned");
    const store = new ValidatingStore(new FilesStore({ root }));
    const run = await store.upsertRun({ prefix: "alice/p/r" });
    expect(existsSync(join(root, "alice/p/r/.owner.lock"))).toBe(true);
    await store.updateRun(run.id, { status: { status: "COMPLETED" } });
    expect(existsSync(join(root, "alice/p/r/.owner.lock"))).toBe(false);

    // Another process holds the run (an SDK owner): the store refuses it, as a second SDK owner would be.
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const busy = join(root, "alice/p/busy");
      mkdirSync(busy, { recursive: true });
      const holder = {
        pid: child.pid,
        host: hostname(),
        processStart: processStartTicks(child.pid!) ?? null,
        token: "t",
        at: new Date().toISOString(),
      };
      writeFileSync(join(busy, ".owner.lock"), JSON.stringify(holder));
      expect(await codeOf(store.upsertRun({ prefix: "alice/p/busy" }))).toBe("RUN_BUSY");
      expect(existsSync(join(busy, "experiment.json"))).toBe(false);
    } finally {
      child.kill();
    }
    await store.close();
  });

  it("moves a deleted run out of the listings; a run made again at its prefix gets another id", async () => {
    const root = join(dir, "deleted");
    const store = new ValidatingStore(new FilesStore({ root }));
    const first = await store.upsertRun({ prefix: "alice/p/r" });
    await store.deleteRun(first.id);
    expect(existsSync(join(root, "alice/p/r"))).toBe(false);
    expect(existsSync(join(root, ".deleted", encodeURIComponent(first.id), "experiment.json"))).toBe(true);
    const again = await store.upsertRun({ prefix: "alice/p/r" });
    expect(again.id).toBe("alice/p/r//2");
    expect((await store.getRun(first.id))!.deleted).toBe(true);
    expect((await store.getRun(again.id))!.deleted).toBe(false);
    expect((await store.searchRuns({ prefix: "alice" })).runs.map((r) => r.id)).toEqual([again.id]);
    await store.close();
  });

  it("names a damaged record instead of reading it as missing, and says what it cannot read", async () => {
    const root = join(dir, "damaged");
    const store = new ValidatingStore(new FilesStore({ root }));
    const run = await store.upsertRun({ prefix: "alice/p/r" });
    await store.applyBatch(run.id, { clientId: "c", seq: 1, params: { a: 1 } });
    writeFileSync(join(root, "alice/p/r/parameters.json"), '{"data": {"a":');
    expect(await codeOf(store.getParams(run.id))).toBe("CORRUPT_RECORD");
    writeFileSync(join(root, "alice/p/r/experiment.json"), "{");
    expect(await codeOf(store.getRun(run.id))).toBe("CORRUPT_RECORD");
    expect((await store.searchRuns({})).total).toBe(0);
    expect((await store.problems!()).map((p) => p.file)).toEqual([join(root, "alice/p/r/experiment.json")]);
    await store.close();
  });

  it("is opened by a files: URI, and is no server database", async () => {
    expect((await openStore(`files:${join(dir, "uri")}`)).kind).toBe("files");
    expect(await codeOf(openStore("files:"))).toBe("STORE_URI");
    expect(await codeOf(openServerStore(`files:${dir}`))).toBe("STORE_URI");
  });
});
