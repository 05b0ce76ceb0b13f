import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FilesStore } from "../../src/store/files/files-store.js";
import type { MetricPoint, MetricRange, Store } from "../../src/store/store.js";
import { ValidatingStore } from "../../src/store/validating-store.js";
import { storeContract } from "../../src/testing/store-contract.js";

// The sidecar index of a run folder's metric files (data.jsonl.index), on real run folders: every read
// through it agrees with the reads of the parsed columns, and a stale, damaged or deleted index is rebuilt.
const dir = mkdtempSync(join(tmpdir(), "labrun-metric-index-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The whole contract with every metric read going through the index.
storeContract({
  name: "files (metric index)",
  create: async () =>
    new ValidatingStore(new FilesStore({ root: join(dir, "contract"), metricIndexAboveBytes: 0 })),
  skip: { tokens: "a run folder has no tokens: its file permissions guard it" },
});

const loss = (i: number) => (i === 12_345 ? 40 : i === 20_202 ? -40 : Math.sin(i / 50) + (i % 11) * 0.001);
const point = (i: number): MetricPoint => ({
  ts: 1e9 + i * 0.25,
  fields:
    i % 97 === 5 ? { step: i * 3, loss: NaN, note: "nan here" } : { step: i * 3, loss: loss(i), lr: 1e-3 },
});

async function writeRun(root: string, n: number, from = 0, seq = 1): Promise<string> {
  const store = new ValidatingStore(new FilesStore({ root }));
  const run = await store.upsertRun({ prefix: "alice/index/run" });
  for (let at = from; at < from + n; seq++) {
    const size = Math.min(7_777, from + n - at);
    const points = Array.from({ length: size }, (_, k) => point(at + k));
    await store.applyBatch(run.id, { clientId: `c${from}`, seq, metrics: [{ stream: "train", points }] });
    at += size;
  }
  await store.close();
  return run.id;
}

const ranges: MetricRange[] = [
  { maxPoints: 1000, fields: ["loss"] },
  { maxPoints: 3001 },
  { from: 10_000, to: 10_500 },
  { from: 10_000, to: 10_500, maxPoints: 100, fields: ["loss"] },
  { from: 3_210, to: 9_876, maxPoints: 500, edges: true },
  { by: "step", from: 30_000, to: 31_234, edges: true, maxPoints: 200, fields: ["loss"] },
  { by: "step", from: 1_000, to: 2_000, maxPoints: 5_000, fields: ["loss"] },
  { by: "ts", from: 1e9 + 2_500, to: 1e9 + 2_750, maxPoints: 50 },
  { from: 24_990, to: 25_010, edges: true },
  { from: 0, to: 3, last: 2 },
];

describe("metric file index (run folder)", () => {
  it("reads as the columns do, and long downsampled reads keep the extremes from chunk summaries", async () => {
    const root = join(dir, "equal");
    const id = await writeRun(root, 25_000);
    const plain = new ValidatingStore(new FilesStore({ root }));
    const indexed = new ValidatingStore(new FilesStore({ root, metricIndexAboveBytes: 0 }));
    for (const range of ranges) {
      const a = await plain.readMetrics(id, "train", range);
      const b = await indexed.readMetrics(id, "train", range);
      expect(b, JSON.stringify(range)).toEqual(a);
    }
    const index = join(root, id, "metrics", "train", "data.jsonl.index");
    expect(existsSync(index)).toBe(true);
    expect(readFileSync(index, "utf8").trim().split("\n")).toHaveLength(1 + 25);
    // Few buckets for many chunks: whole chunks per bucket, each point a real one, the spikes kept.
    const coarse = await indexed.readMetrics(id, "train", { maxPoints: 20, fields: ["loss"] });
    expect(coarse.points.length).toBeLessThanOrEqual(20);
    expect(coarse.downsampled).toBe(true);
    expect(coarse.inRange).toBe(25_000);
    for (const p of coarse.points) expect(p.ts).toBe(point(p.index).ts);
    expect(coarse.points.map((p) => p.index)).toEqual(expect.arrayContaining([0, 12_345, 20_202, 24_999]));
    await plain.close();
    await indexed.close();
  });

  it("is extended when the file grows, and rebuilt when damaged, truncated, deleted or stale", async () => {
    const root = join(dir, "stale");
    const id = await writeRun(root, 12_500);
    const data = join(root, id, "metrics", "train", "data.jsonl");
    const index = `${data}.index`;
    const read = async (range: MetricRange) => {
      // A new store each time: what is on disk answers, as for a restarted `labrun ui`.
      const store: Store = new ValidatingStore(new FilesStore({ root, metricIndexAboveBytes: 0 }));
      const plain: Store = new ValidatingStore(new FilesStore({ root }));
      try {
        const got = await store.readMetrics(id, "train", range);
        expect(got).toEqual(await plain.readMetrics(id, "train", range));
        return got;
      } finally {
        await store.close();
        await plain.close();
      }
    };
    const zoom: MetricRange = { from: 11_000, to: 30_000, maxPoints: 300, fields: ["loss"] };
    expect((await read(zoom)).count).toBe(12_500);
    const lines = () => readFileSync(index, "utf8").trim().split("\n");
    expect(lines()).toHaveLength(1 + 12);

    // Appended to: the index grows by the new chunks only, the tail is read from the data file.
    await writeRun(root, 9_000, 12_500, 100);
    expect((await read(zoom)).count).toBe(21_500);
    expect(lines()).toHaveLength(1 + 21);

    // A torn entry at the end (a killed reader): cut and written again.
    const whole = readFileSync(index, "utf8");
    writeFileSync(index, whole.slice(0, whole.length - 40));
    expect((await read(zoom)).count).toBe(21_500);
    expect(readFileSync(index, "utf8")).toBe(whole);

    // Garbage in the middle: entries after it are dropped and made again.
    const broken = whole.split("\n");
    broken[5] = "{not json";
    writeFileSync(index, broken.join("\n"));
    expect((await read(zoom)).count).toBe(21_500);
    expect(readFileSync(index, "utf8")).toBe(whole);

    // A damaged header, then a deleted index: rebuilt whole.
    writeFileSync(index, `xx${whole}`);
    await read(zoom);
    expect(readFileSync(index, "utf8")).toBe(whole);
    rmSync(index);
    await read(zoom);
    expect(readFileSync(index, "utf8")).toBe(whole);

    // The data file cut back and written again with other values: the index no longer matches it.
    const text = readFileSync(data, "utf8");
    const keep = text.split("\n").slice(0, 8_000).join("\n") + "\n";
    truncateSync(data, Buffer.byteLength(keep));
    appendFileSync(
      data,
      Array.from({ length: 6_000 }, (_, k) => {
        const i = 8_000 + k;
        return `${JSON.stringify({ index: i, data: { step: i * 3, loss: -i, _ts: 1e9 + i }, createdAt: "2026-01-01T00:00:00Z" })}\n`;
      }).join(""),
    );
    const after = await read({ maxPoints: 500, fields: ["loss"] });
    expect(after.count).toBe(14_000);
    expect(after.points.at(-1)!.fields.loss).toBe(-13_999);
    expect(lines()).toHaveLength(1 + 14);

    // An empty index file (a reader killed before its first write): rebuilt.
    writeFileSync(index, "");
    await read(zoom);
    expect(lines()).toHaveLength(1 + 14);
  });
});
