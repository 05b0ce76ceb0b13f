import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openServerStore } from "../../src/store/open-store.js";
import type { MetricRange, ServerStore } from "../../src/store/store.js";

// Group rows (metric_groups: summaries of 10 sealed chunks) on real databases: written across batches of any
// size, read for long ranges, and a read without them (a stream stored before they existed) agrees.
const dir = mkdtempSync(join(tmpdir(), "labrun-groups-"));
const pgUrl = process.env.LABRUN_TEST_PG_URL;
const pgDatabases: string[] = [];

async function pgAdmin<T>(fn: (client: pg.Client) => Promise<T>, url = pgUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const name of pgDatabases)
    await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
});

const N = 65_432;
const loss = (i: number) => (i === 31_337 ? 50 : i === 47_001 ? -50 : Math.sin(i / 300) + (i % 7) * 0.01);
const point = (i: number) => ({ ts: 1e9 + i * 0.5, fields: { step: i * 2, loss: loss(i), lr: 0.001 } });

interface Backend {
  name: string;
  open: () => Promise<{ store: ServerStore; sql: (text: string) => Promise<unknown[]> }>;
}

const backends: Backend[] = [
  {
    name: "sqlite",
    open: async () => {
      const file = join(dir, `groups-${Math.random().toString(36).slice(2)}.db`);
      const store = await openServerStore(`sqlite:${file}`);
      return {
        store,
        sql: async (text) => {
          const db = new Database(file);
          try {
            return text.startsWith("SELECT") ? db.prepare(text).all() : (db.exec(text), []);
          } finally {
            db.close();
          }
        },
      };
    },
  },
  ...(pgUrl
    ? [
        {
          name: "postgres",
          open: async () => {
            const name = `labrun_groups_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
            await pgAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
            pgDatabases.push(name);
            const url = new URL(pgUrl);
            url.pathname = `/${name}`;
            const store = await openServerStore(url.toString());
            return {
              store,
              sql: (text: string) => pgAdmin(async (c) => (await c.query(text)).rows, url.toString()),
            };
          },
        },
      ]
    : []),
];

describe.each(backends)("metric groups ($name)", (backend) => {
  it("are written across batches of any size and answer long reads with real extreme points", async () => {
    const { store, sql } = await backend.open();
    const run = await store.upsertRun({ prefix: "alice/groups/run" });
    // Irregular batches: groups complete inside a batch, across batches, and from small open chunks.
    const sizes = [777, 3, 20_000, 1, 999, 12_345, 30_000];
    let at = 0;
    for (let seq = 1; at < N; seq++) {
      const n = Math.min(sizes[(seq - 1) % sizes.length]!, N - at);
      const points = Array.from({ length: n }, (_, k) => point(at + k));
      await store.applyBatch(run.id, { clientId: "c", seq, metrics: [{ stream: "train", points }] });
      at += n;
    }
    const groups = (await sql(`SELECT first_index FROM metric_groups ORDER BY first_index`)) as {
      first_index: number;
    }[];
    expect(groups.map((g) => Number(g.first_index))).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);

    const read = (range: MetricRange) => store.readMetrics(run.id, "train", range);
    const checkPoints = (
      points: readonly { index: number; ts: number; fields: Record<string, unknown> }[],
    ) => {
      for (const p of points) {
        expect(p.ts).toBe(point(p.index).ts);
        if (p.fields.loss !== undefined) expect(p.fields.loss).toBe(loss(p.index));
      }
      const indices = points.map((p) => p.index);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
    };
    const whole = await read({ maxPoints: 20, fields: ["loss"] });
    expect(whole.points.length).toBeLessThanOrEqual(20);
    checkPoints(whole.points);
    expect(whole.points.map((p) => p.index)).toEqual(expect.arrayContaining([31_337, 47_001]));
    const all = await read({ maxPoints: 60 });
    checkPoints(all.points);
    expect(all.points.map((p) => p.index)).toEqual(expect.arrayContaining([31_337, 47_001]));
    const cut = await read({ from: 4_321, to: 61_234, maxPoints: 20, fields: ["loss"] });
    checkPoints(cut.points);
    expect(cut.points[0]!.index).toBeGreaterThanOrEqual(4_321);
    expect(cut.points.at(-1)!.index).toBeLessThan(61_234);
    expect(cut.points.map((p) => p.index)).toEqual(expect.arrayContaining([31_337, 47_001]));
    const chart = { by: "step", edges: true, fields: ["loss"] } as const;
    const byStep = await read({ ...chart, maxPoints: 20 });
    checkPoints(byStep.points);
    expect(byStep.inRange).toBe(N);
    expect(byStep.points.every((p) => p.fields.step === p.index * 2)).toBe(true);

    // Long reads took the group rows: fewer points than chunks could give.
    expect(whole.points.length).toBeLessThan(20);
    // Without the group rows (a stream stored before they existed) the chunks answer: same ranges, same
    // points wherever the points are decoded, the same extremes kept elsewhere.
    const before = {
      stepZoom: await read({ ...chart, from: 40_001, to: 41_999, maxPoints: 5000 }),
      stepWide: await read({ ...chart, from: 3_333, to: 99_999, maxPoints: 20 }),
      tsZoom: await read({ by: "ts", from: 1e9 + 25_000, to: 1e9 + 25_400, edges: true, maxPoints: 300 }),
      indexZoom: await read({ from: 12_000, to: 12_900, maxPoints: 5000 }),
    };
    await sql(`DELETE FROM metric_groups`);
    const after = {
      stepZoom: await read({ ...chart, from: 40_001, to: 41_999, maxPoints: 5000 }),
      stepWide: await read({ ...chart, from: 3_333, to: 99_999, maxPoints: 20 }),
      tsZoom: await read({ by: "ts", from: 1e9 + 25_000, to: 1e9 + 25_400, edges: true, maxPoints: 300 }),
      indexZoom: await read({ from: 12_000, to: 12_900, maxPoints: 5000 }),
    };
    expect(before.stepZoom).toEqual(after.stepZoom);
    expect(before.stepZoom.points.length).toBe(1001);
    expect(before.tsZoom).toEqual(after.tsZoom);
    expect(before.indexZoom).toEqual(after.indexZoom);
    expect(before.stepWide.inRange).toBe(after.stepWide.inRange);
    checkPoints(before.stepWide.points);
    for (const series of [before.stepWide, after.stepWide])
      expect(series.points.map((p) => p.index)).toEqual(expect.arrayContaining([31_337, 47_001]));
    await store.close();
  });
});
