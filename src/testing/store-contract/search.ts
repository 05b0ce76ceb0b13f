import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { RunQuery, StoredRun } from "../../store/store.js";
import type { JsonValue } from "../../format/json-codec.js";
import type { ContractContext } from "./context.js";
import { codeOf } from "./context.js";

export function searchCases(ctx: ContractContext): void {
  describe("search", () => {
    async function seed() {
      const store = ctx.store();
      const owner = ctx.owner();
      const made: StoredRun[] = [];
      const specs: { prefix: string; tags: string[]; params: Record<string, JsonValue> }[] = [
        { prefix: `${owner}/vision/a`, tags: ["base"], params: { lr: 0.1, opt: "adam" } },
        { prefix: `${owner}/vision/sweep/b`, tags: ["sweep", "base"], params: { lr: 0.01, opt: "sgd" } },
        { prefix: `${owner}/vision/sweep/c`, tags: ["sweep"], params: { lr: 0.1, opt: "sgd" } },
        { prefix: `${owner}/visionary/d`, tags: [], params: { lr: 0.1 } },
        { prefix: `${owner}/nlp/e`, tags: ["base"], params: { lr: 1, nested: { k: true } } },
      ];
      for (const [i, spec] of specs.entries()) {
        const run = await store.upsertRun({ prefix: spec.prefix, tags: spec.tags });
        await store.applyBatch(run.id, {
          clientId: "c",
          seq: 1,
          params: spec.params,
          ...(i % 2 ? { status: { status: "COMPLETED" } } : {}),
        });
        made.push(run);
      }
      return { owner, made };
    }
    const names = async (query: RunQuery) =>
      (await ctx.store().searchRuns({ sort: "prefix", ...query })).runs.map((run) => run.name);

    it("finds runs by prefix segment-wise, project, tag, status and parameter value", async () => {
      const { owner } = await seed();
      expect(await names({ prefix: owner })).toEqual(["e", "a", "b", "c", "d"]);
      expect(await names({ prefix: `${owner}/vision` })).toEqual(["a", "b", "c"]);
      expect(await names({ prefix: `${owner}/vision/sweep` })).toEqual(["b", "c"]);
      expect(await names({ prefix: `${owner}/vision/a` })).toEqual(["a"]);
      expect(await names({ prefix: `${owner}/visio` })).toEqual([]);
      expect(await names({ prefix: owner, project: "visionary" })).toEqual(["d"]);
      expect(await names({ prefix: owner, tag: "base" })).toEqual(["e", "a", "b"]);
      expect(await names({ prefix: owner, status: "COMPLETED" })).toEqual(["b", "d"]);
      expect(await names({ prefix: owner, status: "RUNNING", tag: "sweep" })).toEqual(["c"]);
      expect(await names({ prefix: owner, params: { lr: 0.1 } })).toEqual(["a", "c", "d"]);
      expect(await names({ prefix: owner, params: { lr: "0.1" } })).toEqual(["a", "c", "d"]);
      expect(await names({ prefix: owner, params: { lr: 0.1, opt: "sgd" } })).toEqual(["c"]);
      expect(await names({ prefix: owner, params: { "nested.k": true } })).toEqual([]);
      expect(await names({ prefix: owner, params: { nested: { k: true } } })).toEqual(["e"]);
    });

    it("sorts and pages with a cursor, seeing every run exactly once", async () => {
      const store = ctx.store();
      const owner = ctx.owner();
      const prefixes: string[] = [];
      for (let i = 0; i < 23; i++) {
        const prefix = `${owner}/p/run-${String((i * 7) % 23).padStart(2, "0")}`;
        prefixes.push(prefix);
        await store.upsertRun({ prefix });
      }
      for (const order of ["asc", "desc"] as const) {
        for (const sort of ["prefix", "createdAt", "updatedAt", "status"] as const) {
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await store.searchRuns({
              prefix: owner,
              sort,
              order,
              limit: 5,
              ...(cursor ? { cursor } : {}),
            });
            expect(page.total).toBe(23);
            expect(page.runs.length).toBeLessThanOrEqual(5);
            seen.push(...page.runs.map((run) => run.prefix));
            cursor = page.nextCursor;
            pages++;
          } while (cursor);
          expect(pages).toBe(5);
          expect([...seen].sort()).toEqual([...prefixes].sort());
          if (sort === "prefix")
            expect(seen).toEqual(order === "asc" ? [...prefixes].sort() : [...prefixes].sort().reverse());
        }
      }
      // Without a sort: newest first.
      await sleep(5);
      const latest = await store.upsertRun({ prefix: `${owner}/p/newest` });
      const newest = await store.searchRuns({ prefix: owner, limit: 1 });
      expect(newest.runs[0]!.id).toBe(latest.id);
      expect(await codeOf(store.searchRuns({ prefix: owner, cursor: "garbage" }))).toBe("TRACKING_VALUE");
      expect(await codeOf(store.searchRuns({ limit: 0 }))).toBe("TRACKING_VALUE");
      expect(await codeOf(store.searchRuns({ prefix: "a//b" }))).toBe("INVALID_PREFIX");
    });

    it("sorts by a metric's latest value: numbers first (ties by id), then runs without one, in pages", async () => {
      const store = ctx.store();
      const owner = ctx.owner();
      // train.loss's latest value per run: ties, a value replaced later, NaN, ±Infinity, a string, none.
      const values: (JsonValue | undefined)[] = [0.5, 0.1, 0.5, 0.9, 0.1, NaN, Infinity, -Infinity, "n/a"];
      values.push(undefined, 0.3, 0.5, undefined, 2);
      const made: { id: string; value: JsonValue | undefined }[] = [];
      for (const [i, value] of values.entries()) {
        const run = await store.upsertRun({ prefix: `${owner}/m/run-${i}` });
        const metrics = [
          { stream: "eval", points: [{ ts: 1, fields: { acc: i } }] },
          ...(value === undefined
            ? []
            : [
                {
                  stream: "train",
                  points: [
                    { ts: 1, fields: { loss: 5, step: 0 } },
                    { ts: 2, fields: { loss: value, step: 1 } },
                  ],
                },
              ]),
        ];
        await store.applyBatch(run.id, { clientId: "c", seq: 1, metrics });
        made.push({ id: run.id, value });
      }
      // A later batch replaces a latest value (0.9 → 0.05); a deleted run leaves the listing.
      await store.applyBatch(made[3]!.id, {
        clientId: "c",
        seq: 2,
        metrics: [{ stream: "train", points: [{ ts: 3, fields: { loss: 0.05, step: 2 } }] }],
      });
      made[3]!.value = 0.05;
      await store.deleteRun(made[12]!.id);
      made.splice(12, 1);
      // The unnamed stream's keys are the field alone.
      await store.applyBatch(made[0]!.id, {
        clientId: "c",
        seq: 3,
        metrics: [{ stream: "", points: [{ ts: 1, fields: { acc: 7 } }] }],
      });
      for (const order of ["asc", "desc"] as const) {
        const sign = order === "asc" ? 1 : -1;
        const num = (v: JsonValue | undefined) => (typeof v === "number" && !Number.isNaN(v) ? v : undefined);
        const expected = [...made]
          .sort((a, b) => {
            const [x, y] = [num(a.value), num(b.value)];
            if (x === undefined || y === undefined) {
              if (x !== y) return x === undefined ? 1 : -1;
            } else if (x !== y) return x < y ? -sign : sign;
            return a.id < b.id ? -sign : a.id > b.id ? sign : 0;
          })
          .map((run) => run.id);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.searchRuns({
            prefix: `${owner}/m`,
            sort: "metric:train.loss",
            order,
            limit: 3,
            ...(cursor ? { cursor } : {}),
          });
          expect(page.total).toBe(made.length);
          seen.push(...page.runs.map((run) => run.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual(expected);
      }
      const top = await store.searchRuns({
        prefix: `${owner}/m`,
        sort: "metric:train.loss",
        order: "desc",
        limit: 2,
      });
      expect(top.runs.map((run) => run.latestMetrics["train.loss"])).toEqual([Infinity, 2]);
      const byUnnamed = await store.searchRuns({
        prefix: `${owner}/m`,
        sort: "metric:acc",
        order: "desc",
        limit: 1,
      });
      expect(byUnnamed.runs[0]!.id).toBe(made[0]!.id);
      const byEval = await store.searchRuns({
        prefix: `${owner}/m`,
        sort: "metric:eval.acc",
        order: "desc",
        limit: 2,
      });
      expect(byEval.runs.map((run) => run.latestMetrics["eval.acc"])).toEqual([13, 11]);
      expect(await codeOf(store.searchRuns({ sort: "metric:" as "metric:x" }))).toBe("TRACKING_VALUE");
      expect(await codeOf(store.searchRuns({ sort: "loss" as "prefix" }))).toBe("TRACKING_VALUE");
    });
  });
}
