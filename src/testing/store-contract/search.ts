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
  });
}
