import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { downsample } from "../../src/server/dashboard/metric-series.js";
import { MetricCache, samplePoints } from "../../src/format/metric-columns.js";
import { tempWorkspace } from "../helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
let file: string;
beforeEach(() => {
  ws = tempWorkspace("metric-cache");
  mkdirSync(join(ws.root, "m"));
  file = join(ws.root, "m", "data.jsonl");
});
afterEach(() => ws.cleanup());

const line = (index: number, data: Record<string, unknown>) =>
  `${JSON.stringify({ index, data: { ...data, _ts: 1000 + index }, createdAt: "2026-01-01T00:00:00Z" })}\n`;

describe("MetricCache", () => {
  it("parses a metric file into columns once and reads only what was appended since", () => {
    writeFileSync(file, line(0, { loss: 1, step: 0 }) + line(1, { loss: 0.5, step: 10 }));
    const cache = new MetricCache();
    const first = cache.get(file);
    expect([...first.column("loss")!]).toEqual([1, 0.5]);
    expect([...first.column("step")!]).toEqual([0, 10]);
    // A torn last line (a write in progress) is not read until it is complete.
    appendFileSync(file, line(2, { loss: 0.25, step: 20, acc: 0.9 }) + '{"index":3,"da');
    const again = cache.get(file);
    expect(again).toBe(first);
    expect(again.count).toBe(3);
    expect([...again.column("acc")!].map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, null, 0.9]);
    appendFileSync(file, 'ta":{"loss":NaN,"step":30}}\n');
    expect(cache.get(file).count).toBe(4);
    expect(Number.isNaN(cache.get(file).column("loss")![3])).toBe(true);
    // A rewritten (shorter) file is read again from the start.
    writeFileSync(file, line(0, { loss: 7 }));
    expect([...cache.get(file).column("loss")!]).toEqual([7]);
  });

  it("reads a missing file as empty", () => {
    expect(new MetricCache().get(join(ws.root, "none.jsonl")).count).toBe(0);
  });
});

describe("samplePoints", () => {
  it("reads evenly spaced whole points of a file without parsing the rest", () => {
    writeFileSync(
      file,
      Array.from({ length: 1000 }, (_, i) => line(i, { loss: i / 10 })).join("") + '{"index":1000,"da',
    );
    const points = samplePoints(file, 20);
    expect(points.length).toBeGreaterThanOrEqual(18);
    expect(points[0]!.index).toBe(0);
    const indices = points.map((p) => p.index);
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    expect(new Set(indices).size).toBe(indices.length);
    expect(indices.at(-1)!).toBeGreaterThan(900);
    for (const p of points) expect(p.data.loss).toBe(p.index / 10);
  });
});

describe("downsample", () => {
  const n = 200_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 1000));
  y[123_457] = 50; // a spike
  y[7_001] = -50;

  it("keeps at most maxPoints, the first and last points and every spike", () => {
    const out = downsample(x, y, {}, 1000);
    expect(out.downsampled).toBe(true);
    expect(out.total).toBe(n);
    expect(out.x.length).toBeLessThanOrEqual(1000);
    expect(out.x.length).toBeGreaterThan(900);
    expect(out.x[0]).toBe(0);
    expect(out.x.at(-1)).toBe(n - 1);
    expect(out.y).toContain(50);
    expect(out.y).toContain(-50);
    expect([...out.x]).toEqual([...out.x].sort((a, b) => a - b));
  });

  it("returns a zoomed range at full resolution when it fits, with one point beyond each edge", () => {
    const out = downsample(x, y, { from: 123_400, to: 123_500 }, 1000);
    expect(out.downsampled).toBe(false);
    expect(out.x[0]).toBe(123_399);
    expect(out.x.at(-1)).toBe(123_501);
    expect(out.y).toContain(50);
  });

  it("turns NaN and infinities into gaps", () => {
    const out = downsample(Float64Array.from([0, 1, 2]), Float64Array.from([1, NaN, Infinity]), {}, 10);
    expect(out.y).toEqual([1, null, null]);
  });
});
