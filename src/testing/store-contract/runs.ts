import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { codeOf, points, skipTitle } from "./context.js";

export function runCases(ctx: ContractContext): void {
  describe("runs", () => {
    it("creates a run by prefix as RUNNING and splits the prefix", async () => {
      const owner = ctx.owner();
      const run = await ctx.store().upsertRun({
        prefix: `${owner}/vision/sweeps/resnet`,
        description: "first",
        tags: ["a", "b"],
        bindrs: ["gpu"],
        metadata: { host: "n1", nested: { k: [1, 2] } },
      });
      expect(run).toMatchObject({
        prefix: `${owner}/vision/sweeps/resnet`,
        owner,
        project: "vision",
        name: "resnet",
        status: "RUNNING",
        description: "first",
        tags: ["a", "b"],
        bindrs: ["gpu"],
        metadata: { host: "n1", nested: { k: [1, 2] } },
        deleted: false,
      });
      expect(run.endedAt).toBeUndefined();
      expect(Date.parse(run.createdAt)).not.toBeNaN();
      expect(await ctx.store().getRun(run.id)).toEqual(run);
      expect(await ctx.store().getRunByPrefix(run.prefix)).toEqual(run);
      expect(await ctx.store().getRun("no-such-run-id")).toBeUndefined();
      expect(await ctx.store().getRunByPrefix(`${owner}/vision/other`)).toBeUndefined();
    });

    it("a two-segment prefix names the project (as ML-Dash does)", async () => {
      const owner = ctx.owner();
      const run = await ctx.store().upsertRun({ prefix: `${owner}/proj` });
      expect(run).toMatchObject({ owner, project: "proj", name: "proj" });
    });

    it("upserting an existing prefix resumes the same run, changing only the given fields", async () => {
      const owner = ctx.owner();
      const first = await ctx.store().upsertRun({ prefix: `${owner}/p/r`, description: "d1", tags: ["x"] });
      await ctx.store().updateRun(first.id, { status: { status: "COMPLETED" } });
      const again = await ctx.store().upsertRun({ prefix: `${owner}/p/r`, tags: ["y"] });
      expect(again.id).toBe(first.id);
      expect(again).toMatchObject({
        status: "RUNNING",
        description: "d1",
        tags: ["y"],
        createdAt: first.createdAt,
      });
      expect(again.endedAt).toBeUndefined();
    });

    it("moves through the status lifecycle and refuses a second, different final status", async () => {
      const owner = ctx.owner();
      const run = await ctx.store().upsertRun({ prefix: `${owner}/p/r` });
      const at = "2026-01-02T03:04:05.678Z";
      const failed = await ctx.store().updateRun(run.id, { status: { status: "FAILED", error: "boom", at } });
      expect(failed).toMatchObject({ status: "FAILED", error: "boom", endedAt: at });
      // The same final status again is a no-op; another one is refused and changes nothing.
      await ctx.store().updateRun(run.id, { status: { status: "FAILED" } });
      expect(await codeOf(ctx.store().updateRun(run.id, { status: { status: "COMPLETED" } }))).toBe(
        "RUN_STATUS_TRANSITION",
      );
      expect((await ctx.store().getRun(run.id))!).toMatchObject({
        status: "FAILED",
        error: "boom",
        endedAt: at,
      });
      const resumed = await ctx.store().updateRun(run.id, { status: { status: "RUNNING" } });
      expect(resumed.status).toBe("RUNNING");
      expect(resumed.endedAt).toBeUndefined();
      expect(resumed.error).toBeUndefined();
      const done = await ctx
        .store()
        .updateRun(run.id, { status: { status: "CANCELLED" }, description: "stopped" });
      expect(done).toMatchObject({ status: "CANCELLED", description: "stopped" });
      expect(done.endedAt).toBeDefined();
    });

    it("UNKNOWN (no status recorded) is neither running nor final: any status replaces it", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      const unknown = await store.updateRun(run.id, { status: { status: "UNKNOWN" } });
      expect(unknown.status).toBe("UNKNOWN");
      expect(unknown.endedAt).toBeUndefined();
      expect((await store.searchRuns({ prefix: run.prefix, status: "UNKNOWN" })).total).toBe(1);
      const done = await store.updateRun(run.id, { status: { status: "COMPLETED" } });
      expect(done.status).toBe("COMPLETED");
      expect(done.endedAt).toBeDefined();
      expect(await codeOf(store.updateRun(run.id, { status: { status: "UNKNOWN" } }))).toBe(
        "RUN_STATUS_TRANSITION",
      );
      expect((await store.getRun(run.id))?.status).toBe("COMPLETED");
    });

    it("stores a batch all or nothing: a refused status change stores none of its data", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      await store.applyBatch(run.id, { clientId: "c", seq: 1, status: { status: "COMPLETED" } });
      const code = await codeOf(
        store.applyBatch(run.id, {
          clientId: "c",
          seq: 2,
          params: { lr: 1 },
          metrics: [{ stream: "train", points: points(0, 1500) }],
          logs: [{ level: "info", message: "lost", timestamp: new Date().toISOString() }],
          status: { status: "FAILED" },
        }),
      );
      expect(code).toBe("RUN_STATUS_TRANSITION");
      expect(await store.getParams(run.id)).toEqual({});
      expect(await store.listMetricStreams(run.id)).toEqual([]);
      expect(await store.queryLogs(run.id)).toEqual([]);
      // The refused batch's sequence number was not used up: the corrected batch is stored.
      const corrected = await store.applyBatch(run.id, { clientId: "c", seq: 2, params: { lr: 1 } });
      expect(corrected.duplicate).toBe(false);
      expect(await store.getParams(run.id)).toEqual({ lr: 1 });
    });

    it("stores nothing of a batch with one bad value", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      const bad = { ts: 1, fields: { loss: (() => 1) as unknown as number } };
      expect(
        await codeOf(
          store.applyBatch(run.id, {
            clientId: "c",
            seq: 1,
            params: { a: 1 },
            metrics: [{ stream: "train", points: [...points(0, 10), bad] }],
          }),
        ),
      ).toBe("TRACKING_VALUE");
      expect(await store.getParams(run.id)).toEqual({});
      expect(await store.listMetricStreams(run.id)).toEqual([]);
    });

    it("stores a batch retried with the same (clientId, seq) once", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      const batch = {
        clientId: "client-1",
        seq: 1,
        metrics: [{ stream: "train", points: points(0, 5) }],
        logs: [{ level: "info" as const, message: "once", timestamp: new Date().toISOString() }],
      };
      const first = await store.applyBatch(run.id, batch);
      expect(first.duplicate).toBe(false);
      // Database backends say where the records went (other servers read live updates back from there).
      if (first.positions) expect(first.positions).toEqual({ metrics: { train: 0 }, logs: 0 });
      expect(await store.applyBatch(run.id, batch)).toEqual({ duplicate: true });
      // Another client's seq 1 is another batch.
      const other = await store.applyBatch(run.id, { ...batch, clientId: "client-2" });
      expect(other.duplicate).toBe(false);
      if (other.positions) expect(other.positions).toEqual({ metrics: { train: 5 }, logs: 1 });
      const [stream] = await store.listMetricStreams(run.id);
      expect(stream!.count).toBe(10);
      expect((await store.queryLogs(run.id)).map((log) => log.message)).toEqual(["once", "once"]);
    });

    it("merges parameters; later values replace earlier ones", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 1,
        params: { lr: 0.1, "model.depth": 50, tags: ["a", 1] },
      });
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 2,
        params: { lr: 0.01, nan: NaN, inf: -Infinity, s: "x" },
      });
      const params = await store.getParams(run.id);
      expect(params).toEqual({
        lr: 0.01,
        "model.depth": 50,
        tags: ["a", 1],
        nan: NaN,
        inf: -Infinity,
        s: "x",
      });
    });

    it("keeps parameters immutable when asked (MLflow): same value accepted, another refused", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      await store.applyBatch(run.id, { clientId: "c", seq: 1, params: { lr: "0.1" }, immutableParams: true });
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 2,
        params: { lr: "0.1", b: "2" },
        immutableParams: true,
      });
      const code = await codeOf(
        store.applyBatch(run.id, {
          clientId: "c",
          seq: 3,
          params: { c: "3", lr: "0.2" },
          immutableParams: true,
        }),
      );
      expect(code).toBe("PARAM_IMMUTABLE");
      expect(await store.getParams(run.id)).toEqual({ lr: "0.1", b: "2" });
    });

    it("soft-deletes a run: gone from searches and prefix lookups, kept by id, prefix free again", async () => {
      const store = ctx.store();
      const owner = ctx.owner();
      const run = await store.upsertRun({ prefix: `${owner}/p/r` });
      await store.deleteRun(run.id);
      expect((await store.getRun(run.id))!.deleted).toBe(true);
      expect(await store.getRunByPrefix(run.prefix)).toBeUndefined();
      expect((await store.searchRuns({ prefix: owner })).total).toBe(0);
      expect(await codeOf(store.applyBatch(run.id, { clientId: "c", seq: 1, params: { a: 1 } }))).toBe(
        "RUN_NOT_FOUND",
      );
      const fresh = await store.upsertRun({ prefix: `${owner}/p/r` });
      expect(fresh.id).not.toBe(run.id);
      expect(await codeOf(store.deleteRun("no-such-run-id"))).toBe("RUN_NOT_FOUND");
    });

    it("rejects bad input with typed errors before writing", async () => {
      const store = ctx.store();
      expect(await codeOf(store.upsertRun({ prefix: "a/../b" }))).toBe("INVALID_PREFIX");
      expect(await codeOf(store.upsertRun({ prefix: "/abs/x" }))).toBe("INVALID_PREFIX");
      expect(await codeOf(store.upsertRun({ prefix: "single" }))).toBe("INVALID_PREFIX");
      expect(
        await codeOf(store.upsertRun({ prefix: `${ctx.owner()}/p`, tags: [1 as unknown as string] })),
      ).toBe("TRACKING_VALUE");
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      const bad = (batch: object) => codeOf(store.applyBatch(run.id, { clientId: "c", seq: 1, ...batch }));
      expect(await bad({ metrics: [{ stream: "t", points: [{ ts: NaN, fields: {} }] }] })).toBe(
        "TRACKING_VALUE",
      );
      expect(await bad({ metrics: [{ stream: "a/b", points: [] }] })).toBe("INVALID_TRACKING_NAME");
      expect(
        await bad({ logs: [{ level: "loud", message: "x", timestamp: new Date().toISOString() }] }),
      ).toBe("TRACKING_VALUE");
      expect(await bad({ logs: [{ level: "info", message: "x", timestamp: "yesterday" }] })).toBe(
        "TRACKING_VALUE",
      );
      expect(await bad({ status: { status: "DONE" } })).toBe("TRACKING_VALUE");
      expect(await codeOf(store.applyBatch(run.id, { clientId: "", seq: 1 }))).toBe("TRACKING_VALUE");
      expect(await codeOf(store.queryLogs(run.id, { regex: "(" }))).toBe("INVALID_REGEX");
      expect(await codeOf(store.readMetrics(run.id, "t", { maxPoints: 0 }))).toBe("TRACKING_VALUE");
      expect(await codeOf(store.applyBatch("no-such-run-id", { clientId: "c", seq: 1 }))).toBe(
        "RUN_NOT_FOUND",
      );
      expect(await store.listMetricStreams(run.id)).toEqual([]);
    });

    it("merges metadata keys by patch, keeping the other keys and a finished run's status", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/meta`, metadata: { host: "n1" } });
      await store.updateRun(run.id, { status: { status: "COMPLETED" } });
      const patched = await store.updateRun(run.id, { metadata: { a: { x: [1, 2] } } });
      expect(patched.status).toBe("COMPLETED");
      expect(patched.metadata).toEqual({ host: "n1", a: { x: [1, 2] } });
      const again = await store.updateRun(run.id, { metadata: { a: 2, b: "y" }, description: "d" });
      expect(again).toMatchObject({
        status: "COMPLETED",
        description: "d",
        metadata: { host: "n1", a: 2, b: "y" },
      });
      expect((await store.getRun(run.id))?.metadata).toEqual({ host: "n1", a: 2, b: "y" });
      expect(await codeOf(store.updateRun(run.id, { metadata: [] as never }))).toBe("TRACKING_VALUE");
    });

    it.skipIf(ctx.skip.concurrency !== undefined)(
      skipTitle(
        "merges concurrent metadata patches of different keys without losing one",
        ctx.skip.concurrency,
      ),
      async () => {
        const store = ctx.store();
        const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/meta-race` });
        await Promise.all([
          ...Array.from({ length: 10 }, (_, i) => store.updateRun(run.id, { metadata: { [`k${i}`]: i } })),
          store.updateRun(run.id, { status: { status: "FAILED", error: "boom" } }),
        ]);
        const after = await store.getRun(run.id);
        expect(after?.status).toBe("FAILED");
        expect(Object.keys(after?.metadata ?? {}).sort()).toEqual(
          Array.from({ length: 10 }, (_, i) => `k${i}`).sort(),
        );
      },
    );

    it.skipIf(ctx.skip.concurrency !== undefined)(
      skipTitle(
        "takes concurrent batches of many clients into one run without losing or repeating points",
        ctx.skip.concurrency,
      ),
      async () => {
        const store = ctx.store();
        const owner = ctx.owner();
        const runs = await Promise.all(
          Array.from({ length: 4 }, () => store.upsertRun({ prefix: `${owner}/p/same` })),
        );
        expect(new Set(runs.map((run) => run.id)).size).toBe(1);
        const run = runs[0]!;
        await Promise.all(
          Array.from({ length: 8 }, async (_, client) => {
            for (let seq = 1; seq <= 5; seq++) {
              const batch = {
                clientId: `c${client}`,
                seq,
                metrics: [{ stream: "train", points: points(0, 300, () => client) }],
                logs: [
                  {
                    level: "info" as const,
                    message: `c${client}-${seq}`,
                    timestamp: new Date().toISOString(),
                  },
                ],
              };
              await store.applyBatch(run.id, batch);
              await store.applyBatch(run.id, batch); // a retry
            }
          }),
        );
        const series = await store.readMetrics(run.id, "train");
        expect(series.count).toBe(8 * 5 * 300);
        expect(series.points.map((p) => p.index)).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
        const logs = await store.queryLogs(run.id, { limit: 100 });
        expect(logs.map((log) => log.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        expect(new Set(logs.map((log) => log.message)).size).toBe(40);
      },
    );
  });
}
