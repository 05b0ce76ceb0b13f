import { describe, expect, it } from "vitest";
import type { NewLog } from "../../store/store.js";
import type { ContractContext } from "./context.js";
import { codeOf, skipTitle } from "./context.js";

const sha = (c: string) => c.repeat(64);

export function filesAndLogsCases(ctx: ContractContext): void {
  describe("logs", () => {
    const base = Date.parse("2026-11-23T10:00:00.000Z");
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const logs: NewLog[] = [
      { level: "debug", message: "loading data", timestamp: at(0) },
      { level: "info", message: "epoch 1 done", timestamp: at(10), metadata: { epoch: 1, loss: NaN } },
      { level: "warn", message: "GPU memory low", timestamp: at(20), metadata: { free_gb: 1.5 } },
      { level: "info", message: "epoch 2 done", timestamp: at(30) },
      { level: "error", message: "NaN loss at step 700", timestamp: at(40) },
      { level: "fatal", message: "giving up", timestamp: "2026-11-23T10:00:50.123456Z" },
    ];

    async function logged() {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      await store.applyBatch(run.id, { clientId: "c", seq: 1, logs: logs.slice(0, 2) });
      await store.applyBatch(run.id, { clientId: "c", seq: 2, logs: logs.slice(2) });
      return run.id;
    }

    it("numbers records 0, 1, 2, … across batches and keeps their fields", async () => {
      const runId = await logged();
      const all = await ctx.store().queryLogs(runId);
      expect(all).toEqual(logs.map((log, sequence) => ({ ...log, sequence })));
    });

    it("filters by level, regex, time, and reads the tail or after a sequence", async () => {
      const store = ctx.store();
      const runId = await logged();
      const messages = async (query: Parameters<typeof store.queryLogs>[1]) =>
        (await store.queryLogs(runId, query)).map((log) => log.message);
      expect(await messages({ levels: ["warn", "error"] })).toEqual([
        "GPU memory low",
        "NaN loss at step 700",
      ]);
      expect(await messages({ regex: "^epoch \\d" })).toEqual(["epoch 1 done", "epoch 2 done"]);
      expect(await messages({ regex: "nan", levels: ["error"] })).toEqual([]);
      expect(await messages({ since: at(10), until: at(30) })).toEqual([
        "epoch 1 done",
        "GPU memory low",
        "epoch 2 done",
      ]);
      expect(await messages({ since: "2026-11-23T10:00:50.1Z" })).toEqual(["giving up"]);
      expect(await messages({ tail: 2 })).toEqual(["NaN loss at step 700", "giving up"]);
      expect(await messages({ tail: 1, levels: ["info"] })).toEqual(["epoch 2 done"]);
      expect(await messages({ afterSequence: 3 })).toEqual(["NaN loss at step 700", "giving up"]);
      expect(await messages({ afterSequence: 0, limit: 2 })).toEqual(["epoch 1 done", "GPU memory low"]);
      expect(await messages({ regex: "o", limit: 3 })).toEqual([
        "loading data",
        "epoch 1 done",
        "GPU memory low",
      ]);
    });

    it("applies a regex past the first page of records", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      const many: NewLog[] = Array.from({ length: 2500 }, (_, i) => ({
        level: "info",
        message: i % 1000 === 999 ? `needle ${i}` : `hay ${i}`,
        timestamp: at(i),
      }));
      await store.applyBatch(run.id, { clientId: "c", seq: 1, logs: many });
      expect((await store.queryLogs(run.id, { regex: "needle" })).map((l) => l.sequence)).toEqual([
        999, 1999,
      ]);
      expect((await store.queryLogs(run.id, { regex: "needle", tail: 1 })).map((l) => l.sequence)).toEqual([
        1999,
      ]);
      expect(await store.queryLogs(run.id, { limit: 5000 })).toHaveLength(2500);
    });
  });

  describe("files", () => {
    it.skipIf(ctx.skip.files !== undefined)(
      skipTitle("records files, lists them by folder and replaces a same-named one", ctx.skip.files),
      async () => {
        const store = ctx.store();
        const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
        const file = (prefix: string, filename: string, c: string) => ({
          prefix,
          filename,
          size: 3,
          sha256: sha(c),
          contentType: "application/octet-stream",
          storageKey: `${run.id}/${prefix}/${filename}.${c}`,
        });
        const model = await store.addFile(run.id, file("models", "m.pt", "a"));
        expect(model).toMatchObject({ prefix: "models", filename: "m.pt", size: 3, sha256: sha("a") });
        await store.addFile(run.id, file("/models/best/", "b.pt", "b"));
        await store.addFile(run.id, file("modelsx", "c.pt", "c"));
        await store.addFile(run.id, file("", "root.txt", "d"));
        expect(await store.getFile(run.id, model.id)).toEqual(model);
        expect((await store.listFiles(run.id, "models")).map((f) => f.filename)).toEqual(["m.pt", "b.pt"]);
        expect((await store.listFiles(run.id, "/models/best")).map((f) => f.filename)).toEqual(["b.pt"]);
        expect(await store.listFiles(run.id)).toHaveLength(4);
        const replaced = await store.addFile(run.id, file("models", "m.pt", "e"));
        expect(await store.getFile(run.id, model.id)).toBeUndefined();
        expect((await store.listFiles(run.id, "models")).find((f) => f.filename === "m.pt")).toEqual(
          replaced,
        );
        expect(await store.getFile(run.id, "no-such-file")).toBeUndefined();
        expect(await codeOf(store.addFile(run.id, file("../x", "a", "f")))).toBe("INVALID_TRACKING_NAME");
        expect(await codeOf(store.addFile(run.id, file("m", "a/b", "f")))).toBe("INVALID_TRACKING_NAME");
        expect(await codeOf(store.addFile(run.id, { ...file("m", "a", "f"), sha256: "xyz" }))).toBe(
          "TRACKING_VALUE",
        );
        expect(await codeOf(store.addFile("no-such-run-id", file("m", "a", "f")))).toBe("RUN_NOT_FOUND");
      },
    );
  });
}
