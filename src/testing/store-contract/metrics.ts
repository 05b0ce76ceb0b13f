import { describe, expect, it } from "vitest";
import type { MetricPoint, MetricSeries, Store } from "../../store/store.js";
import type { ContractContext } from "./context.js";
import { codeOf, points } from "./context.js";

async function runWith(
  store: Store,
  owner: string,
  stream: string,
  all: readonly MetricPoint[],
  batchSize: number,
) {
  const run = await store.upsertRun({ prefix: `${owner}/p/r` });
  let seq = 0;
  for (let at = 0; at < all.length; at += batchSize) {
    await store.applyBatch(run.id, {
      clientId: "c",
      seq: ++seq,
      metrics: [{ stream, points: all.slice(at, at + batchSize) }],
    });
  }
  return run.id;
}

/** Checks a downsampled series against the points that were logged. */
function checkDownsampled(
  series: MetricSeries,
  logged: readonly MetricPoint[],
  from: number,
  to: number,
  maxPoints: number,
) {
  expect(series.downsampled).toBe(true);
  expect(series.points.length).toBeLessThanOrEqual(maxPoints);
  expect(series.points.length).toBeGreaterThan(maxPoints / 8);
  const indices = series.points.map((p) => p.index);
  expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b));
  for (const point of series.points) {
    expect(point.index).toBeGreaterThanOrEqual(from);
    expect(point.index).toBeLessThan(to);
    const original = logged[point.index]!;
    expect(point.ts).toBe(original.ts);
    for (const [field, value] of Object.entries(point.fields)) expect(value).toBe(original.fields[field]);
  }
  // The extremes of the whole range are never lost.
  const losses = logged.slice(from, to).map((p) => p.fields.loss as number);
  const returned = series.points.map((p) => p.fields.loss);
  expect(returned).toContain(Math.max(...losses));
  expect(returned).toContain(Math.min(...losses));
}

export function metricCases(ctx: ContractContext): void {
  describe("metrics", () => {
    it("appends batches of any size into one stream with contiguous indices", async () => {
      const store = ctx.store();
      const logged = points(0, 3100);
      // Sizes that leave partial chunks, fill them, and cross chunk boundaries.
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      let at = 0;
      let seq = 0;
      for (const size of [1, 7, 500, 492, 1, 1200, 899]) {
        await store.applyBatch(run.id, {
          clientId: "c",
          seq: ++seq,
          metrics: [{ stream: "train", points: logged.slice(at, at + size) }],
        });
        at += size;
      }
      expect(at).toBe(3100);
      const series = await store.readMetrics(run.id, "train");
      expect(series).toMatchObject({ stream: "train", count: 3100, downsampled: false });
      expect(series.points).toEqual(logged.map((p, index) => ({ ...p, index })));
      const part = await store.readMetrics(run.id, "train", { from: 995, to: 2005 });
      expect(part.points.map((p) => p.index)).toEqual(Array.from({ length: 1010 }, (_, i) => 995 + i));
      expect(part.count).toBe(3100);
      const tail = await store.readMetrics(run.id, "train", { from: 3000 });
      expect(tail.points).toHaveLength(100);
      expect((await store.readMetrics(run.id, "train", { from: 5000 })).points).toEqual([]);
    });

    it("keeps every kind of field value: NaN, ±Infinity, strings, booleans, null, nested, missing fields", async () => {
      const store = ctx.store();
      const logged: MetricPoint[] = [
        { ts: 1.5, fields: { loss: NaN, grad: Infinity, step: 0 } },
        { ts: 2.25, fields: { loss: -Infinity, phase: "warmup", ok: true } },
        { ts: 3, fields: { loss: 0.5, phase: null, ok: false, hist: [1, 2, { a: NaN }] } },
        { ts: 4, fields: {} },
        { ts: 5, fields: { step: 4, phase: "train" } },
      ];
      const runId = await runWith(store, ctx.owner(), "", logged, 2);
      const series = await store.readMetrics(runId, "");
      expect(series.points).toEqual(logged.map((p, index) => ({ ...p, index })));
      const only = await store.readMetrics(runId, "", { fields: ["phase"] });
      expect(only.points.map((p) => p.fields)).toEqual([
        {},
        { phase: "warmup" },
        { phase: null },
        {},
        { phase: "train" },
      ]);
      const [summary] = await store.listMetricStreams(runId);
      expect(summary).toMatchObject({ stream: "", count: 5, firstTs: 1.5, lastTs: 5 });
      expect([...summary!.fields].sort()).toEqual(["grad", "hist", "loss", "ok", "phase", "step"]);
      expect(summary!.summary.loss).toEqual({ min: -Infinity, max: 0.5, last: 0.5 });
      expect(summary!.summary.step).toEqual({ min: 0, max: 4, last: 4 });
    });

    it("summarises streams: count, fields, first and last time, min / max / last per numeric field", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 1,
        metrics: [
          { stream: "train", points: points(0, 2500, (i) => (i === 1234 ? 99 : i === 7 ? -99 : 1)) },
          { stream: "eval", points: [{ ts: 10, fields: { acc: 0.5 } }] },
        ],
      });
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 2,
        metrics: [{ stream: "eval", points: [{ ts: 20, fields: { acc: 0.25 } }] }],
      });
      const streams = await store.listMetricStreams(run.id);
      expect(streams.map((s) => s.stream)).toEqual(["eval", "train"]);
      expect(streams[0]).toMatchObject({
        count: 2,
        firstTs: 10,
        lastTs: 20,
        summary: { acc: { min: 0.25, max: 0.5, last: 0.25 } },
      });
      expect(streams[1]).toMatchObject({
        count: 2500,
        firstTs: 1e9,
        lastTs: 1e9 + 2499,
        summary: { loss: { min: -99, max: 99, last: 1 }, i: { min: 0, max: 2499, last: 2499 } },
      });
      expect(await store.readMetrics(run.id, "missing")).toEqual({
        stream: "missing",
        count: 0,
        downsampled: false,
        points: [],
      });
    });

    it("downsamples a long stream from chunk summaries keeping each bucket's extremes", async () => {
      const store = ctx.store();
      const spiky = (i: number) =>
        i % 9973 === 5 ? 50 + i / 1e4 : i % 7919 === 3 ? -50 - i / 1e4 : Math.sin(i / 300);
      const logged = points(0, 120_000, spiky);
      const runId = await runWith(store, ctx.owner(), "train", logged, 20_000);
      const series = await store.readMetrics(runId, "train", { maxPoints: 200, fields: ["loss"] });
      expect(series.count).toBe(120_000);
      checkDownsampled(series, logged, 0, 120_000, 200);
      // Every spike is a bucket extreme, so every one of them is kept.
      for (let i = 0; i < 120_000; i++) {
        if (i % 9973 === 5 || i % 7919 === 3) expect(series.points.some((p) => p.index === i)).toBe(true);
      }
      // A range that cuts chunks in the middle.
      const part = await store.readMetrics(runId, "train", { from: 12_345, to: 98_765, maxPoints: 300 });
      checkDownsampled(part, logged, 12_345, 98_765, 300);
      // By a field or by time: the same points, the field compared returned with them.
      const byField = await store.readMetrics(runId, "train", {
        by: "i",
        from: 12_345,
        to: 98_764,
        maxPoints: 300,
        fields: ["loss"],
      });
      checkDownsampled(byField, logged, 12_345, 98_765, 300);
      expect(byField.inRange).toBe(98_765 - 12_345);
      expect(byField.points.every((p) => p.fields.i === p.index)).toBe(true);
      const byTime = await store.readMetrics(runId, "train", {
        by: "ts",
        from: 1e9 + 12_345,
        to: 1e9 + 98_764,
        maxPoints: 300,
        fields: ["loss"],
      });
      checkDownsampled(byTime, logged, 12_345, 98_765, 300);
      // Two numeric fields: the budget is shared.
      const both = await store.readMetrics(runId, "train", { maxPoints: 400 });
      checkDownsampled(both, logged, 0, 120_000, 400);
      expect(
        both.points.every((p) => typeof p.fields.i === "number" && typeof p.fields.loss === "number"),
      ).toBe(true);
    });

    it("downsamples a short stream (fewer chunks than buckets) from its points", async () => {
      const store = ctx.store();
      const logged = points(0, 5000, (i) => Math.cos(i / 50) * (i % 101) + 0); // + 0: JSON (HTTP) has no -0
      const runId = await runWith(store, ctx.owner(), "train", logged, 333);
      checkDownsampled(
        await store.readMetrics(runId, "train", { maxPoints: 1000, fields: ["loss"] }),
        logged,
        0,
        5000,
        1000,
      );
      checkDownsampled(
        await store.readMetrics(runId, "train", { maxPoints: 50, from: 10, to: 4321 }),
        logged,
        10,
        4321,
        50,
      );
      const whole = await store.readMetrics(runId, "train", { maxPoints: 5000 });
      expect(whole.downsampled).toBe(false);
      expect(whole.points).toHaveLength(5000);
    });

    it("reads by time or by a field, with the points at the edges of the range, and the last points", async () => {
      const store = ctx.store();
      const logged = Array.from({ length: 3000 }, (_, i) => ({
        ts: 1e9 + 2 * i,
        fields: { loss: Math.cos(i / 40) + (i === 1500 ? 9 : 0), step: 5 * i },
      }));
      const runId = await runWith(store, ctx.owner(), "train", logged, 1000);
      const indices = (series: MetricSeries) => series.points.map((p) => p.index);
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
      const bySteps = await store.readMetrics(runId, "train", { by: "step", from: 500, to: 1000 });
      expect(indices(bySteps)).toEqual(range(100, 201));
      expect(bySteps.inRange).toBe(101);
      expect(bySteps.points[0]).toEqual({ ...logged[100], index: 100 });
      const edges = await store.readMetrics(runId, "train", {
        by: "step",
        from: 502.5,
        to: 997.5,
        edges: true,
        fields: ["loss"],
      });
      expect(indices(edges)).toEqual(range(100, 201));
      // The field compared is returned too: it is the points' x.
      expect(edges.points[0]!.fields).toEqual(logged[100]!.fields);
      const byTime = await store.readMetrics(runId, "train", { by: "ts", from: 1e9 + 10, to: 1e9 + 20 });
      expect(indices(byTime)).toEqual(range(5, 11));
      expect(indices(await store.readMetrics(runId, "train", { from: 10, to: 20, edges: true }))).toEqual(
        range(9, 21),
      );
      expect(indices(await store.readMetrics(runId, "train", { last: 3 }))).toEqual([2997, 2998, 2999]);
      const last = await store.readMetrics(runId, "train", { last: 1, fields: ["loss"] });
      expect(last).toMatchObject({
        count: 3000,
        points: [{ index: 2999, fields: { loss: logged[2999]!.fields.loss } }],
      });
      const sampled = await store.readMetrics(runId, "train", {
        by: "step",
        maxPoints: 100,
        fields: ["loss"],
      });
      expect(sampled.downsampled).toBe(true);
      expect(sampled.inRange).toBe(3000);
      expect(sampled.points.length).toBeLessThanOrEqual(100);
      expect(sampled.points.map((p) => p.fields.loss)).toContain(logged[1500]!.fields.loss);
      expect(sampled.points.every((p) => p.fields.step === 5 * p.index)).toBe(true);
      expect(indices(sampled)).toEqual([...indices(sampled)].sort((a, b) => a - b));
      // Points without the field compared are left out.
      const eval_ = await runWith(
        store,
        ctx.owner(),
        "eval",
        [
          { ts: 1, fields: { acc: 0.1, step: 10 } },
          { ts: 2, fields: { acc: 0.2 } },
          { ts: 3, fields: { acc: 0.3, step: 30 } },
        ],
        3,
      );
      expect(indices(await store.readMetrics(eval_, "eval", { by: "step", from: 0, to: 100 }))).toEqual([
        0, 2,
      ]);
      expect(await codeOf(store.readMetrics(runId, "train", { from: 1.5 }))).toBe("TRACKING_VALUE");
    });

    it("reports each stream's latest values in run searches", async () => {
      const store = ctx.store();
      const owner = ctx.owner();
      const run = await store.upsertRun({ prefix: `${owner}/p/r` });
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 1,
        metrics: [
          {
            stream: "train",
            points: [
              { ts: 1, fields: { loss: 2, step: 0 } },
              { ts: 2, fields: { loss: 1, note: "x" } },
            ],
          },
          { stream: "", points: [{ ts: 1, fields: { epoch: 3 } }] },
        ],
      });
      const page = await store.searchRuns({ prefix: owner });
      expect(page.runs[0]!.latestMetrics).toEqual({
        "train.loss": 1,
        "train.step": 0,
        "train.note": "x",
        epoch: 3,
      });
    });

    it("handles a run with thousands of metric keys", async () => {
      const store = ctx.store();
      const run = await store.upsertRun({ prefix: `${ctx.owner()}/p/r` });
      const fields: Record<string, number> = {};
      for (let k = 0; k < 3000; k++) fields[`layer${k}.grad_norm`] = k;
      await store.applyBatch(run.id, {
        clientId: "c",
        seq: 1,
        metrics: [
          {
            stream: "grads",
            points: [
              { ts: 1, fields },
              { ts: 2, fields },
            ],
          },
        ],
      });
      const [summary] = await store.listMetricStreams(run.id);
      expect(summary!.fields).toHaveLength(3000);
      const read = await store.readMetrics(run.id, "grads", { fields: ["layer2999.grad_norm"] });
      expect(read.points.map((p) => p.fields)).toEqual([
        { "layer2999.grad_norm": 2999 },
        { "layer2999.grad_norm": 2999 },
      ]);
    });
  });
}
