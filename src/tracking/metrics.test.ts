import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { RunStateError, TrackingValueError, InvalidTrackingNameError } from "../errors.js";
import { parseJson } from "../format/json-codec.js";
import { summarise } from "./metric-summary.js";
import { Run } from "./run.js";
import { tracked } from "./tracked.js";

const temp = tempDir("metrics");
afterAll(() => temp.cleanup());
let root: string;
let n = 0;
beforeEach(() => {
  root = join(temp.dir, `root-${++n}`);
});
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => parseJson(line) as Record<string, any>);

describe("logging metrics", () => {
  it("stores points as {index, data: {...fields, _ts}, createdAt} and reads them back", async () => {
    const before = Date.now() / 1000;
    await tracked({ prefix: "alice/p/m", root }, (run) => {
      run
        .metrics("train")
        .log({ loss: 0.5, step: 0 })
        .log({ loss: 0.25, step: 1, tag: "x", hist: [1, 2] });
      run.metrics("train").appendBatch([{ loss: 0.1, step: 2 }]);
    });
    const points = lines(join(root, "alice/p/m/metrics/train/data.jsonl"));
    expect(points.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(points[1]!.data).toMatchObject({ loss: 0.25, step: 1, tag: "x", hist: [1, 2] });
    expect(points[0]!.data._ts).toBeGreaterThanOrEqual(before - 1);
    expect(typeof points[0]!.createdAt).toBe("string");
    const read = await Run.open("alice/p/m", { root }).metrics("train").read();
    expect(read).toMatchObject({ total: 3, downsampled: false, torn: false, skipped: 0 });
    expect(read.points.map((p) => p.data.loss)).toEqual([0.5, 0.25, 0.1]);
  });

  it("stores NaN and ±Infinity and reads them back as such", async () => {
    await tracked({ prefix: "alice/p/nan", root }, (run) => {
      run.metrics("train").log({ loss: NaN, grad: Infinity, low: -Infinity });
    });
    const text = readFileSync(join(root, "alice/p/nan/metrics/train/data.jsonl"), "utf8");
    expect(text).toContain('"loss":NaN,"grad":Infinity,"low":-Infinity');
    const [point] = (await Run.open("alice/p/nan", { root }).metrics("train").read()).points;
    expect(point!.data.loss).toBeNaN();
    expect(point!.data.grad).toBe(Infinity);
    expect(point!.data.low).toBe(-Infinity);
  });

  it("takes _ts as given, and -1 as the previous point's", async () => {
    await tracked({ prefix: "alice/p/ts", root }, (run) => {
      run.metrics("a").log({ x: 1, _ts: 100.5 });
      run.metrics("b").log({ y: 2, _ts: -1 });
      expect(() => run.metrics("a").log({ x: 1, _ts: "soon" as never })).toThrow(TrackingValueError);
    });
    expect(lines(join(root, "alice/p/ts/metrics/a/data.jsonl"))[0]!.data).toEqual({ x: 1, _ts: 100.5 });
    expect(lines(join(root, "alice/p/ts/metrics/b/data.jsonl"))[0]!.data).toEqual({ y: 2, _ts: 100.5 });
  });

  it("fans metrics.log({ epoch, train: {...}, eval: {...} }) out to streams, as ML-Dash does", async () => {
    await tracked({ prefix: "alice/p/fan", root }, (run) => {
      run.metrics.log({ epoch: 1, train: { loss: 0.5 }, eval: { loss: 0.7 } });
    });
    const dir = join(root, "alice/p/fan/metrics");
    expect(lines(join(dir, "None/data.jsonl"))[0]!.data).toMatchObject({ epoch: 1 });
    expect(lines(join(dir, "train/data.jsonl"))[0]!.data).toMatchObject({ epoch: 1, loss: 0.5 });
    expect(lines(join(dir, "eval/data.jsonl"))[0]!.data).toMatchObject({ epoch: 1, loss: 0.7 });
    expect(JSON.parse(readFileSync(join(dir, "None/metadata.json"), "utf8"))).toMatchObject({
      name: null,
      metricId: "local-metric-None",
    });
    const reader = Run.open("alice/p/fan", { root });
    expect(reader.metrics.list().map((m) => m.name)).toEqual([null, "eval", "train"]);
    expect(reader.metrics(null).last()?.data).toMatchObject({ epoch: 1 });
  });

  it("buffer() + logSummary() log ML-Dash's statistics per stream and empty the buffer", async () => {
    await tracked({ prefix: "alice/p/sum", root }, (run) => {
      for (let i = 1; i <= 100; i++) run.metrics("train").buffer({ loss: i, acc: i === 50 ? null : i / 100 });
      run.metrics("val").buffer({ loss: 3 });
      expect(run.metrics.buffer.peek(2)).toEqual({
        "train/loss": [99, 100],
        "train/acc": [0.99, 1],
        "val/loss": [3],
      });
      run.metrics.buffer.logSummary("mean", "p95", "max", { epoch: 1 });
      run.metrics.buffer.logSummary(); // nothing left: logs nothing
      expect(() => run.metrics("train").buffer({ loss: "high" as never })).toThrow(TrackingValueError);
      expect(() => run.metrics.buffer.logSummary("mode" as never)).toThrow(TrackingValueError);
    });
    const train = lines(join(root, "alice/p/sum/metrics/train/data.jsonl"));
    expect(train).toHaveLength(1);
    expect(train[0]!.data).toMatchObject({ epoch: 1, "loss.mean": 50.5, "loss.max": 100, "loss.p95": 95.05 });
    expect(train[0]!.data["acc.mean"]).toBeCloseTo((5050 - 50) / 100 / 99);
    expect(lines(join(root, "alice/p/sum/metrics/val/data.jsonl"))[0]!.data).toMatchObject({
      "loss.mean": 3,
    });
  });

  it("summarise() matches ML-Dash's statistics", () => {
    expect(
      summarise(
        [1, 2, 3, 4, NaN],
        ["mean", "std", "min", "max", "count", "median", "sum", "first", "last", "p90"],
      ),
    ).toEqual({
      mean: 2.5,
      std: Math.sqrt(5 / 3),
      min: 1,
      max: 4,
      count: 4,
      median: 2.5,
      sum: 10,
      first: 1,
      last: 4,
      p90: 3.7,
    });
    expect(summarise([NaN], ["mean"])).toEqual({});
    expect(summarise([5], ["std"])).toEqual({ std: 0 });
  });

  it("rejects bad names and values with typed errors, writing nothing for them", async () => {
    await tracked({ prefix: "alice/p/bad", root }, (run) => {
      expect(() => run.metrics("a/b")).toThrow(InvalidTrackingNameError);
      expect(() => run.metrics("train").log({ f: (() => 0) as never })).toThrow(TrackingValueError);
      expect(() => run.metrics("train").log([1, 2] as never)).toThrow(TrackingValueError);
      expect(() => run.metrics("train").append([{ ok: 1 }, { bad: 1n as never }])).toThrow(
        TrackingValueError,
      );
      run.metrics("train").log({ ok: 2 });
    });
    const points = lines(join(root, "alice/p/bad/metrics/train/data.jsonl"));
    expect(points.map((p) => p.data.ok)).toEqual([2]);
  });
});

describe("buffered writing", () => {
  it("keeps points in memory until the interval passes, the size is reached or flush() is called", async () => {
    const run = new Run({ prefix: "alice/p/buf", root, flushIntervalMs: 60_000, flushBytes: 10_000 });
    const file = join(run.dir, "metrics/train/data.jsonl");
    const count = () => {
      try {
        return readFileSync(file, "utf8").split("\n").length - 1;
      } catch {
        return 0;
      }
    };
    run.metrics("train").log({ loss: 1 });
    expect(count()).toBe(0);
    await run.flush();
    expect(count()).toBe(1);
    let logged = 1;
    for (; logged < 1000 && count() === 1; logged++) run.metrics("train").log({ loss: logged, step: logged });
    // The size limit wrote one batch of everything waiting, not a line per point.
    expect(logged).toBeGreaterThan(50);
    expect(count()).toBe(logged);
    run.metrics("train").log({ loss: 0 });
    expect(count()).toBe(logged);
    await run.complete();
    expect(count()).toBe(logged + 1);
  });

  it("writes on a timer when nothing else happens", async () => {
    const run = new Run({ prefix: "alice/p/timer", root, flushIntervalMs: 50 });
    run.logs.info("quiet");
    await sleep(300);
    expect(readFileSync(join(run.dir, "logs/logs.jsonl"), "utf8")).toContain('"message":"quiet"');
    await run.complete();
  });

  it("refreshes the heartbeat while it writes", async () => {
    const run = new Run({ prefix: "alice/p/beat", root, flushIntervalMs: 20, heartbeatIntervalSec: 0.05 });
    const first = JSON.parse(readFileSync(join(run.dir, "experiment.json"), "utf8")).heartbeatAt;
    await sleep(200);
    run.metrics("m").log({ x: 1 });
    await run.flush();
    const later = JSON.parse(readFileSync(join(run.dir, "experiment.json"), "utf8")).heartbeatAt;
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first));
    await run.complete();
    expect(() => run.metrics("m")).toThrow(RunStateError);
  });
});

describe("reading ranges and downsampling", () => {
  it("reads a range by index or by a field", async () => {
    await tracked({ prefix: "alice/p/range", root }, (run) => {
      run
        .metrics("train")
        .append(Array.from({ length: 100 }, (_, i) => ({ step: i * 10, loss: 1 / (i + 1) })));
    });
    const train = Run.open("alice/p/range", { root }).metrics("train");
    expect((await train.read({ from: 10, to: 12 })).points.map((p) => p.index)).toEqual([10, 11, 12]);
    expect((await train.read({ by: "step", from: 500, to: 520 })).points.map((p) => p.data.step)).toEqual([
      500, 510, 520,
    ]);
  });

  it("keeps minima, maxima, the first and the last point, within maxPoints", async () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50));
    values[4321] = 50; // a spike
    values[7777] = -50; // a dip
    values[9000] = NaN;
    await tracked({ prefix: "alice/p/ds", root }, (run) => {
      run.metrics("train").append(values.map((loss, step) => ({ loss, step })));
    });
    const result = await Run.open("alice/p/ds", { root })
      .metrics("train")
      .read({ maxPoints: 200, fields: ["loss"] });
    expect(result).toMatchObject({ total: 10_000, downsampled: true });
    expect(result.points.length).toBeLessThanOrEqual(200);
    expect(result.points.length).toBeGreaterThan(100);
    const losses = result.points.map((p) => p.data.loss);
    expect(losses).toContain(50);
    expect(losses).toContain(-50);
    expect(result.points[0]!.index).toBe(0);
    expect(result.points.at(-1)!.index).toBe(9999);
    const indices = result.points.map((p) => p.index);
    expect([...indices].sort((a, b) => a - b)).toEqual(indices);
  });

  it("downsamples every numeric field when none is named", async () => {
    await tracked({ prefix: "alice/p/ds2", root }, (run) => {
      run
        .metrics("train")
        .append(
          Array.from({ length: 1000 }, (_, i) => ({ a: i === 500 ? 1e9 : 0, b: i === 600 ? -1e9 : 0 })),
        );
    });
    const { points } = await Run.open("alice/p/ds2", { root }).metrics("train").read({ maxPoints: 20 });
    expect(points.length).toBeLessThanOrEqual(20);
    expect(points.map((p) => p.index)).toEqual(expect.arrayContaining([0, 500, 600, 999]));
  });
});
