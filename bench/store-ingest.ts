// Storage benchmark (`node --import tsx bench/store-ingest.ts`, part of `npm run bench`).
//
// Measures the database backends directly (no HTTP: the server's figures are in its own section), through
// `openServerStore`, i.e. with the input validation the server runs, on SQLite (a file under /tmp, WAL) and
// PostgreSQL (LABRUN_BENCH_PG_URL, else a server started here with the default durability settings):
//   - batched ingest: batches of BATCH points (3 numeric fields) into one stream, 1 writer and 8 concurrent
//     writers (each its own run), points/s = points / wall time; goal (issue 6) ≥ 1M points/s on SQLite;
//   - a 1M-point stream read downsampled to 1,000 points (goal < 20 ms), with the CPU time it took;
//   - listing 10,000 runs with their latest metric values (10 pages of 1,000; goal < 100 ms);
//   - a run with 3,000 metric keys (one stream of 3,000 fields; and 3,000 streams).
// Each timed figure is the median over ROUNDS (min–max shown). The section "store" of bench/RESULTS.md is
// replaced. `--quick`: 10× smaller, one round, nothing written.

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { openServerStore } from "labrun/store";
import type { MetricPoint, ServerStore } from "labrun/store";
import { postgresBinDir, startTestPostgres } from "../test/store/postgres-setup.js";
import { writeResultsSection } from "./results-file.js";
import { machineBusyMs } from "./machine-load.js";

const QUICK = process.argv.includes("--quick");
const SCALE = QUICK ? 10 : 1;
const ROUNDS = QUICK ? 1 : 3;
const BATCH = 10_000;
const INGEST_POINTS = 2_000_000 / SCALE;
const WRITERS = [1, 8] as const;
const SMALL_BATCH = 100;
const SMALL_POINTS = 200_000 / SCALE;
const SERIES_POINTS = 1_000_000 / SCALE;
const READS = QUICK ? 5 : 30;
const RUNS = 10_000 / SCALE;
const KEYS = 3000;
const resultsFile = join(fileURLToPath(new URL(".", import.meta.url)), "RESULTS.md");

interface Timed {
  wallMs: number;
  cpuMs: number;
  /** CPU time of every other process meanwhile (the PostgreSQL server included), ms. */
  otherMs: number;
}

async function timed(fn: () => Promise<void>): Promise<Timed> {
  const busy = machineBusyMs();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return { wallMs, cpuMs, otherMs: machineBusyMs() - busy - cpuMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number, digits = 1) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const spread = (values: number[], digits = 1) =>
  `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;

function batchPoints(start: number, n: number): MetricPoint[] {
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    return {
      ts: 1.7e9 + i * 0.01,
      fields: { step: i, loss: Math.exp(-i / 1e5) + Math.sin(i) * 0.01, lr: 0.001 },
    };
  });
}

// Points are built before the clock starts: the figure is the store's, not the generator's.
// Ten batches, reused in turn: a few hundred MB of prebuilt points would make every later GC (and so the
// other measurements) slower.
const prebuilt = Array.from({ length: 10 }, (_, b) => batchPoints(b * BATCH, BATCH));

async function ingest(store: ServerStore, tag: string, writers: number): Promise<Timed & { points: number }> {
  const per = INGEST_POINTS / writers;
  const runs = await Promise.all(
    Array.from({ length: writers }, (_, w) =>
      store.upsertRun({ prefix: `bench/ingest/${tag}-w${writers}-${w}` }),
    ),
  );
  const result = await timed(async () => {
    await Promise.all(
      runs.map(async (run) => {
        for (let b = 0, seq = 1; b * BATCH < per; b++, seq++) {
          const points = prebuilt[b % prebuilt.length]!.slice(0, Math.min(BATCH, per - b * BATCH));
          await store.applyBatch(run.id, { clientId: "bench", seq, metrics: [{ stream: "train", points }] });
        }
      }),
    );
  });
  return { ...result, points: INGEST_POINTS };
}

interface BackendResult {
  name: string;
  ingest: Record<number, number[]>; // writers → points/s per round
  ingestCpu: Record<number, number[]>; // writers → CPU µs per 1k points of this process
  small: number[]; // points/s in batches of SMALL_BATCH points
  read: {
    fieldWall: number[];
    fieldCpu: number[];
    allWall: number[];
    points: number;
    allPoints: number;
    range: number[];
  };
  list: { wall: number[]; cpu: number[]; first: number[]; keys: number };
  /** The same listing right after loading, before the database's statistics were refreshed. */
  listFresh: { wall: number[]; cpu: number[]; first: number[]; keys: number };
  keys: {
    wideIngest: number;
    wideList: number;
    wideRead: number;
    wideSearch: number;
    streamsIngest: number;
    streamsList: number;
  };
  otherLoad: number;
  seriesIngestMs: number;
  runsSetupMs: number;
}

async function measure(
  name: string,
  open: () => Promise<ServerStore>,
  analyze: () => Promise<void>,
): Promise<BackendResult> {
  const store = await open();
  const busy0 = machineBusyMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out: BackendResult = {
    name,
    ingest: {},
    ingestCpu: {},
    small: [],
    read: { fieldWall: [], fieldCpu: [], allWall: [], points: 0, allPoints: 0, range: [] },
    list: { wall: [], cpu: [], first: [], keys: 0 },
    listFresh: { wall: [], cpu: [], first: [], keys: 0 },
    keys: { wideIngest: 0, wideList: 0, wideRead: 0, wideSearch: 0, streamsIngest: 0, streamsList: 0 },
    otherLoad: 0,
    seriesIngestMs: 0,
    runsSetupMs: 0,
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const writers of WRITERS) {
      const r = await ingest(store, `r${round}`, writers);
      (out.ingest[writers] ??= []).push(r.points / (r.wallMs / 1000));
      (out.ingestCpu[writers] ??= []).push((r.cpuMs * 1000) / (r.points / 1000));
      console.error(
        `${name}: ingest ${writers} writer(s) round ${round}: ${fmt(r.points / (r.wallMs / 1000), 0)} points/s`,
      );
    }
  }

  // Small batches: every batch lands in the stream's open chunk rows (no rewrite), merged every 1,000 points.
  for (let round = 0; round < ROUNDS; round++) {
    const run = await store.upsertRun({ prefix: `bench/small/r${round}` });
    const points = prebuilt[0]!.slice(0, SMALL_BATCH);
    const small = await timed(async () => {
      for (let seq = 1; seq <= SMALL_POINTS / SMALL_BATCH; seq++) {
        await store.applyBatch(run.id, { clientId: "bench", seq, metrics: [{ stream: "train", points }] });
      }
    });
    out.small.push(SMALL_POINTS / (small.wallMs / 1000));
  }
  console.error(`${name}: small batches ${fmt(median(out.small), 0)} points/s`);

  // The 1M-point stream.
  const series = await store.upsertRun({ prefix: "bench/read/series" });
  const seriesStart = performance.now();
  for (let b = 0, seq = 1; b * BATCH < SERIES_POINTS; b++, seq++) {
    await store.applyBatch(series.id, {
      clientId: "bench",
      seq,
      metrics: [{ stream: "train", points: batchPoints(b * BATCH, BATCH) }],
    });
  }
  out.seriesIngestMs = performance.now() - seriesStart;
  for (let i = 0; i < READS; i++) {
    let points = 0;
    const field = await timed(async () => {
      points = (await store.readMetrics(series.id, "train", { maxPoints: 1000, fields: ["loss"] })).points
        .length;
    });
    out.read.fieldWall.push(field.wallMs);
    out.read.fieldCpu.push(field.cpuMs);
    out.read.points = points;
    const all = await timed(async () => {
      points = (await store.readMetrics(series.id, "train", { maxPoints: 1000 })).points.length;
    });
    out.read.allWall.push(all.wallMs);
    out.read.allPoints = points;
    const range = await timed(async () => {
      await store.readMetrics(series.id, "train", { from: 500_000 / SCALE, to: 500_000 / SCALE + 10_000 });
    });
    out.read.range.push(range.wallMs);
  }
  console.error(`${name}: 1M read ${fmt(median(out.read.fieldWall))} ms`);

  // 10,000 runs, each with params and two streams.
  const setup = performance.now();
  for (let start = 0; start < RUNS; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, RUNS - start) }, async (_, k) => {
        const i = start + k;
        const run = await store.upsertRun({
          prefix: `bench/list/sweep/run-${String(i).padStart(5, "0")}`,
          tags: ["sweep"],
        });
        await store.applyBatch(run.id, {
          clientId: "bench",
          seq: 1,
          params: { lr: 10 ** -(i % 5), depth: 18 + (i % 4) * 16 },
          metrics: [
            { stream: "train", points: [{ ts: 1, fields: { loss: 1 / (i + 1), step: 100 } }] },
            { stream: "eval", points: [{ ts: 2, fields: { acc: i / RUNS } }] },
          ],
          status: { status: "COMPLETED" },
        });
      }),
    );
  }
  out.runsSetupMs = performance.now() - setup;
  const listAll = async (into: BackendResult["list"]) => {
    for (let round = 0; round < Math.max(ROUNDS, 5); round++) {
      let seen = 0;
      let keys = 0;
      const all = await timed(async () => {
        let cursor: string | undefined;
        do {
          const page = await store.searchRuns({
            prefix: "bench/list",
            limit: 1000,
            ...(cursor ? { cursor } : {}),
          });
          seen += page.runs.length;
          for (const run of page.runs) keys += Object.keys(run.latestMetrics).length;
          cursor = page.nextCursor;
        } while (cursor);
      });
      if (seen !== RUNS) throw new Error(`listed ${seen} runs, expected ${RUNS}`);
      into.wall.push(all.wallMs);
      into.cpu.push(all.cpuMs);
      into.keys = keys;
      into.first.push(
        (await timed(async () => void (await store.searchRuns({ prefix: "bench/list", limit: 100 })))).wallMs,
      );
    }
  };
  // Right after loading the database has no statistics on the new rows yet; autovacuum's ANALYZE (within a
  // minute on PostgreSQL) gives the planner the figures it needs. Both are measured.
  await listAll(out.listFresh);
  await analyze();
  await listAll(out.list);
  console.error(
    `${name}: list ${fmt(median(out.listFresh.wall))} ms fresh, ${fmt(median(out.list.wall))} ms analyzed`,
  );

  // 3,000 metric keys.
  const wide = await store.upsertRun({ prefix: "bench/keys/wide" });
  const fields: Record<string, number> = {};
  for (let k = 0; k < KEYS; k++) fields[`layer${k}.grad_norm`] = k / 7;
  out.keys.wideIngest = (
    await timed(async () => {
      for (let b = 0; b < 10; b++) {
        const points = Array.from({ length: 10 }, (_, j) => ({ ts: b * 10 + j, fields }));
        await store.applyBatch(wide.id, {
          clientId: "bench",
          seq: b + 1,
          metrics: [{ stream: "grads", points }],
        });
      }
    })
  ).wallMs;
  out.keys.wideList = (await timed(async () => void (await store.listMetricStreams(wide.id)))).wallMs;
  out.keys.wideRead = (
    await timed(
      async () => void (await store.readMetrics(wide.id, "grads", { fields: ["layer1500.grad_norm"] })),
    )
  ).wallMs;
  out.keys.wideSearch = (
    await timed(async () => void (await store.searchRuns({ prefix: "bench/keys/wide" })))
  ).wallMs;
  const many = await store.upsertRun({ prefix: "bench/keys/streams" });
  out.keys.streamsIngest = (
    await timed(async () => {
      const metrics = Array.from({ length: KEYS }, (_, k) => ({
        stream: `s${k}`,
        points: Array.from({ length: 100 }, (_, j) => ({ ts: j, fields: { v: j * k } })),
      }));
      await store.applyBatch(many.id, { clientId: "bench", seq: 1, metrics });
    })
  ).wallMs;
  out.keys.streamsList = (await timed(async () => void (await store.listMetricStreams(many.id)))).wallMs;

  const wallAll = performance.now() - t0;
  const own = process.cpuUsage(cpu0);
  out.otherLoad =
    ((machineBusyMs() - busy0 - (own.user + own.system) / 1000) / (wallAll * cpus().length)) * 100;
  await store.close();
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "labrun-bench-store-"));
const started = new Date();
const benchStart = performance.now();
const results: BackendResult[] = [];
try {
  const sqliteFile = join(dir, "bench.db");
  results.push(
    await measure(
      "SQLite",
      () => openServerStore(`sqlite:${sqliteFile}`),
      async () => {
        const db = new Database(sqliteFile);
        db.exec("ANALYZE");
        db.close();
      },
    ),
  );
  const given = process.env.LABRUN_BENCH_PG_URL;
  const server = given ? undefined : await startTestPostgres({ fast: false });
  try {
    let url = given;
    if (!url) url = await server!.createDatabase("labrun_bench");
    results.push(
      await measure(
        "PostgreSQL",
        () => openServerStore(url!),
        async () => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          await client.query("ANALYZE");
          await client.end();
        },
      ),
    );
  } finally {
    await server?.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pgVersion = postgresBinDir().split("/").at(-2) ?? "?";

const row = (label: string, pick: (r: BackendResult) => string) =>
  `| ${label} | ${results.map(pick).join(" | ")} |`;
const markdown = `
# Storage backends (SqliteStore, PostgresStore)

Generated by \`node --import tsx bench/store-ingest.ts\` (part of \`npm run bench\`); this section is replaced by a run with \`--report\` (\`npm run bench:report\`).

Date: ${started.toISOString()} · ${ROUNDS} rounds for ingest, ${READS} reads, figures are median (min–max) · bench took ${fmt((performance.now() - benchStart) / 1000, 0)} s.

## Machine

- CPU: ${cpus()[0]?.model ?? "?"} × ${cpus().length}; memory ${fmt(totalmem() / 2 ** 30)} GiB; ${osType()} ${release()}
- Node ${process.version}; better-sqlite3 (SQLite file under ${tmpdir()}, WAL, synchronous=NORMAL); PostgreSQL ${pgVersion} (${process.env.LABRUN_BENCH_PG_URL ? "LABRUN_BENCH_PG_URL" : "a local server started by the bench, default settings: fsync on, synchronous_commit on"}), same machine, loopback TCP
- The CPU used by other processes (for PostgreSQL: its server too) during each backend's part: ${results.map((r) => `${r.name} ${fmt(r.otherLoad, 0)} % of the machine`).join(", ")}.

## What runs

Everything goes through \`openServerStore(uri)\`: the store \`labrun serve\` uses, input validation included, no HTTP.
Ingest: batches of ${BATCH.toLocaleString("en-US")} points \`{ step, loss, lr }\` into one stream (\`applyBatch\`, one transaction each), ${INGEST_POINTS.toLocaleString("en-US")} points in all, by 1 writer or by 8 concurrent writers (one run each, sequential batches per writer); points/s = points / wall. Points are stored in chunks of 1,000 with per-chunk summaries (docs/storage.md).
Read: a ${SERIES_POINTS.toLocaleString("en-US")}-point stream downsampled to at most 1,000 points keeping each bucket's extremes. List: ${RUNS.toLocaleString("en-US")} runs (params, two streams, COMPLETED) paged 1,000 at a time with their latest metric values.

## Results

| measurement | ${results.map((r) => r.name).join(" | ")} |
| --- | ${results.map(() => "---:").join(" | ")} |
${row("**ingest, 1 writer, points/s** (goal SQLite ≥ 1M)", (r) => `**${spread(r.ingest[1]!, 0)}**`)}
${row("**ingest, 8 concurrent writers, points/s**", (r) => `**${spread(r.ingest[8]!, 0)}**`)}
${row(`ingest in small batches (${SMALL_BATCH} points, one transaction each), 1 writer, points/s`, (r) => spread(r.small, 0))}
${row("ingest CPU of the Node process, µs per 1,000 points, 1 / 8 writers", (r) => `${fmt(median(r.ingestCpu[1]!))} / ${fmt(median(r.ingestCpu[8]!))}`)}
${row(`**read ${SERIES_POINTS.toLocaleString("en-US")} points → ≤ 1,000, one field, ms** (goal < 20)`, (r) => `**${spread(r.read.fieldWall, 2)}** (${r.read.points} points)`)}
${row("the same, CPU ms of the Node process", (r) => spread(r.read.fieldCpu, 2))}
${row("read downsampled, all 3 fields, ms", (r) => `${spread(r.read.allWall, 2)} (${r.read.allPoints} points)`)}
${row("read 10,000 raw points from the middle, ms", (r) => spread(r.read.range, 2))}
${row(`list ${RUNS.toLocaleString("en-US")} runs with latest metric values right after loading them (no statistics yet), ms`, (r) => spread(r.listFresh.wall))}
${row(`**list ${RUNS.toLocaleString("en-US")} runs with latest metric values, statistics up to date (ANALYZE), ms** (goal < 100)`, (r) => `**${spread(r.list.wall)}** (${r.list.keys.toLocaleString("en-US")} values)`)}
${row("the same, CPU ms of the Node process", (r) => spread(r.list.cpu))}
${row("first page of 100 runs (with the total count), ms", (r) => spread(r.list.first, 2))}
${row(`3,000 keys in one stream: 10 batches × 10 points, ms`, (r) => fmt(r.keys.wideIngest))}
${row("… list its streams / read one field / search with latest values, ms", (r) => `${fmt(r.keys.wideList)} / ${fmt(r.keys.wideRead)} / ${fmt(r.keys.wideSearch)}`)}
${row("3,000 streams × 100 points in one batch, ms", (r) => fmt(r.keys.streamsIngest))}
${row("… list the 3,000 streams, ms", (r) => fmt(r.keys.streamsList))}
${row(`set-up (not goals): 1M-point stream written in, s / ${RUNS.toLocaleString("en-US")} runs created (50 at a time), s`, (r) => `${fmt(r.seriesIngestMs / 1000)} / ${fmt(r.runsSetupMs / 1000)}`)}
`;
console.log(markdown);
if (!QUICK) writeResultsSection(resultsFile, "store", markdown);
