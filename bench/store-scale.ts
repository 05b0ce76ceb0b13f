// Store read paths at 10× the sizes of bench/store-ingest.ts (`node --import tsx bench/store-scale.ts`,
// `npm run bench:store-scale`; issue 15, "Scale tests"):
//   - 100,000 runs: the first page of the runs list with latest metric values, and a sort by a metric's
//     latest value (first and second page), on SQLite and PostgreSQL (goal < 200 ms); 10,000 of them listed
//     in pages of 1,000 (goal on PostgreSQL < 100 ms);
//   - a 10,000,000-point stream downsampled to 1,000 points, whole range and a 1 % zoom, by index and as the
//     dashboard asks (by step, with edges), on SQLite and PostgreSQL (goal < 50 ms) and in a run folder
//     (FilesStore, goal < 1 s once indexed: a new store object, as a new `labrun ui` would be).
// Set-up is timed apart and is not a goal: the 100,000 runs are inserted with SQL in transactions of 10,000
// rows (the rows the store writes, latest values included), the points go through `applyBatch` in batches
// of 200,000. Each figure: median (min–max) of REPS repetitions, with the load average. `--only=runs,series,
// local` picks parts, `--quick` divides the sizes by 10; `--report` writes the "store-scale" section of
// bench/RESULTS.md.

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { openServerStore, openStore } from "labrun/store";
import type { MetricPoint, RunQuery, Store } from "labrun/store";
import { postgresBinDir, startTestPostgres } from "../test/store/postgres-setup.js";
import { writeResultsSection } from "./results-file.js";
import { stat } from "./stats.js";

const QUICK = process.argv.includes("--quick");
const SCALE = QUICK ? 10 : 1;
const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const part = (name: string) => !only || only.includes(name);
const REPS = 7;
const RUNS = 100_000 / SCALE;
const SWEEP = RUNS / 10;
const POINTS = 10_000_000 / SCALE;
const BATCH = 200_000;
const resultsFile = join(fileURLToPath(new URL(".", import.meta.url)), "RESULTS.md");

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";
const spread = (values: readonly number[], digits = 1) => {
  const s = stat(values);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function reps(fn: () => Promise<unknown>, n = REPS): Promise<number[]> {
  await fn(); // warm: statement caches, the first parse of a summary's field list
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await time(fn));
  return out;
}

/** One line of the results table: backend → figure. */
type Row = { label: string; values: Record<string, string> };
const rows: Row[] = [];
function record(label: string, backend: string, value: string): void {
  let row = rows.find((r) => r.label === label);
  if (!row) rows.push((row = { label, values: {} }));
  row.values[backend] = value;
  console.error(`${backend}: ${label}: ${value} (load ${load()})`);
}

// ---- 100,000 runs ----

interface BulkRun {
  id: string;
  prefix: string;
  created: string;
  latest: Record<string, number>;
}

function bulkRuns(): BulkRun[] {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  return Array.from({ length: RUNS }, (_, i) => {
    // Every 10th run has no eval.acc yet (a missing value sorts last); ties every 1,000 runs.
    const latest: Record<string, number> = { "train.loss": 1 / (1 + (i % 997)), "train.step": 100 };
    if (i % 10 !== 9) latest["eval.acc"] = Math.round((i * 7919) % RUNS) / RUNS;
    return {
      id: randomUUID().replaceAll("-", ""),
      prefix: `bench/scale/sweep-${i % 10}/run-${String(i).padStart(6, "0")}`,
      created: new Date(t0 + i * 1000).toISOString(),
      latest,
    };
  });
}

const runColumns =
  "id, prefix, owner, project, name, status, description, tags, bindrs, metadata, created_at, updated_at, ended_at, latest";
const runValues = (r: BulkRun) => [
  r.id,
  r.prefix,
  "bench",
  "scale",
  r.prefix.slice(r.prefix.lastIndexOf("/") + 1),
  "COMPLETED",
  null,
  '["sweep"]',
  "[]",
  "{}",
  r.created,
  r.created,
  r.created,
  JSON.stringify(r.latest),
];
const latestRows = (r: BulkRun) => Object.entries(r.latest).map(([key, value]) => [r.id, key, value]);

/** The same rows the store writes (runs with their latest values), inserted 10,000 per transaction. */
async function insertRunsSqlite(file: string, runs: BulkRun[]): Promise<void> {
  const db = new Database(file);
  const hasLatest = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'run_latest'`).get() !== undefined;
  const insertRun = db.prepare(
    `INSERT INTO runs (${runColumns}) VALUES (${runValues(runs[0]!).map(() => "?")})`,
  );
  const insertLatest = hasLatest
    ? db.prepare(`INSERT INTO run_latest (run_id, key, value) VALUES (?, ?, ?)`)
    : undefined;
  const insertParam = db.prepare(`INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)`);
  for (let start = 0; start < runs.length; start += 10_000) {
    db.transaction(() => {
      for (const r of runs.slice(start, start + 10_000)) {
        insertRun.run(runValues(r));
        insertParam.run(r.id, "lr", String(r.latest["train.loss"]));
        for (const row of insertLatest ? latestRows(r) : []) insertLatest!.run(row);
      }
    })();
  }
  db.exec("ANALYZE");
  db.close();
}

async function insertRunsPostgres(url: string, runs: BulkRun[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hasLatest = (await client.query(`SELECT to_regclass('run_latest') AS t`)).rows[0].t !== null;
    const insert = async (table: string, columns: string, values: unknown[][]) => {
      const width = values[0]!.length;
      const text = values.map(
        (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`)})`,
      );
      await client.query(`INSERT INTO ${table} (${columns}) VALUES ${text.join(", ")}`, values.flat());
    };
    for (let start = 0; start < runs.length; start += 10_000) {
      await client.query("BEGIN");
      const slice = runs.slice(start, start + 10_000);
      for (let k = 0; k < slice.length; k += 1000) {
        const group = slice.slice(k, k + 1000);
        await insert("runs", runColumns, group.map(runValues));
        await insert(
          "run_params",
          "run_id, key, value",
          group.map((r) => [r.id, "lr", String(r.latest["train.loss"])]),
        );
        if (hasLatest) await insert("run_latest", "run_id, key, value", group.flatMap(latestRows));
      }
      await client.query("COMMIT");
    }
    await client.query("ANALYZE");
  } finally {
    await client.end();
  }
}

async function measureRuns(backend: string, store: Store): Promise<void> {
  const first = (query: RunQuery) => reps(() => store.searchRuns({ limit: 100, ...query }));
  record(
    `first page of 100 of ${fmt(RUNS, 0)} runs (newest first, with total), ms`,
    backend,
    spread(await first({})),
  );
  record(
    `… the same below a prefix (\`bench/scale\`, all runs), ms`,
    backend,
    spread(await first({ prefix: "bench/scale" })),
  );
  const sorted: RunQuery = { limit: 100, sort: "metric:eval.acc", order: "desc" } as unknown as RunQuery;
  let supported = true;
  try {
    await store.searchRuns(sorted);
  } catch {
    supported = false;
  }
  if (supported) {
    record(
      "**sorted by a metric's latest value (`eval.acc`, desc): first page of 100, ms** (goal < 200)",
      backend,
      `**${spread(await reps(() => store.searchRuns(sorted)))}**`,
    );
    const page1 = await store.searchRuns(sorted);
    record(
      "… its second page (cursor), ms",
      backend,
      spread(await reps(() => store.searchRuns({ ...sorted, cursor: page1.nextCursor! }))),
    );
    record(
      "… ascending, below a prefix (`bench/scale/sweep-3`, 1/10 of the runs), ms",
      backend,
      spread(await reps(() => store.searchRuns({ ...sorted, order: "asc", prefix: "bench/scale/sweep-3" }))),
    );
  } else {
    record(
      "**sorted by a metric's latest value (`eval.acc`, desc): first page of 100, ms** (goal < 200)",
      backend,
      "not supported",
    );
  }
  const listAll = async () => {
    let cursor: string | undefined;
    let seen = 0;
    do {
      const page = await store.searchRuns({
        prefix: "bench/scale/sweep-3",
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      seen += page.runs.length;
      cursor = page.nextCursor;
    } while (cursor);
    if (seen !== SWEEP) throw new Error(`listed ${seen} runs, expected ${SWEEP}`);
  };
  record(
    `**list ${fmt(SWEEP, 0)} of them (one prefix) with latest values, pages of 1,000, ms** (goal on PostgreSQL < 100)`,
    backend,
    `**${spread(await reps(listAll))}**`,
  );
}

// ---- 10,000,000 points ----

function batchPoints(start: number, n: number): MetricPoint[] {
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    return {
      ts: 1.7e9 + i * 0.01,
      fields: { step: i, loss: Math.exp(-i / 1e6) + Math.sin(i) * 0.01, lr: 0.001 },
    };
  });
}

async function writeSeries(store: Store, prefix: string): Promise<string> {
  const run = await store.upsertRun({ prefix });
  for (let b = 0, seq = 1; b * BATCH < POINTS; b++, seq++) {
    const points = batchPoints(b * BATCH, Math.min(BATCH, POINTS - b * BATCH));
    await store.applyBatch(run.id, { clientId: "bench", seq, metrics: [{ stream: "train", points }] });
  }
  return run.id;
}

const zoomFrom = POINTS / 2;
const zoomTo = zoomFrom + POINTS / 100;

async function measureSeries(backend: string, store: Store, runId: string, n = REPS): Promise<void> {
  const read = (range: Parameters<Store["readMetrics"]>[2]) => async () => {
    const series = await store.readMetrics(runId, "train", range);
    if (series.points.length === 0 || series.points.length > 1000)
      throw new Error(`${series.points.length} points`);
  };
  const P = fmt(POINTS / 1e6, 0);
  record(
    `**${P}M points → ≤ 1,000, whole range, one field (by index), ms** (goal < 50 stores, < 1,000 run folder)`,
    backend,
    `**${spread(await reps(read({ maxPoints: 1000, fields: ["loss"] }), n), 2)}**`,
  );
  record("… all 3 fields, ms", backend, spread(await reps(read({ maxPoints: 1000 }), n), 2));
  record(
    `**… a 1 % zoom (${fmt(POINTS / 100, 0)} points from the middle), one field, ms**`,
    backend,
    `**${spread(await reps(read({ from: zoomFrom, to: zoomTo, maxPoints: 1000, fields: ["loss"] }), n), 2)}**`,
  );
  const chart = { by: "step", edges: true, maxPoints: 1000, fields: ["loss"], approximate: true } as const;
  record(
    "as the dashboard asks (by step, edges): whole range, ms",
    backend,
    spread(await reps(read(chart), n), 2),
  );
  record(
    "… a 1 % zoom by step, ms",
    backend,
    spread(await reps(read({ ...chart, from: zoomFrom, to: zoomTo - 1 }), n), 2),
  );
}

// ---- main ----

const setups: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "labrun-bench-scale-"));
const started = new Date();
const loadStart = load();
const backends: string[] = [];
try {
  if (part("runs") || part("series")) {
    const file = join(dir, "scale.db");
    backends.push("SQLite");
    let store = await openServerStore(`sqlite:${file}`);
    if (part("runs")) {
      const runs = bulkRuns();
      await store.close();
      const ms = await time(() => insertRunsSqlite(file, runs));
      setups.push(`SQLite: ${fmt(RUNS, 0)} runs inserted in ${fmt(ms / 1000)} s`);
      store = await openServerStore(`sqlite:${file}`);
      await measureRuns("SQLite", store);
    }
    if (part("series")) {
      let id = "";
      const ms = await time(async () => (id = await writeSeries(store, "bench/series/long")));
      setups.push(
        `SQLite: ${fmt(POINTS, 0)} points written in ${fmt(ms / 1000)} s (${fmt(statSync(file).size / 2 ** 20, 0)} MiB file)`,
      );
      await measureSeries("SQLite", store, id);
    }
    await store.close();

    const given = process.env.LABRUN_BENCH_PG_URL;
    const server = given ? undefined : await startTestPostgres({ fast: false });
    try {
      const url = given ?? (await server!.createDatabase("labrun_bench_scale"));
      backends.push("PostgreSQL");
      const pgStore = await openServerStore(url);
      if (part("runs")) {
        const ms = await time(() => insertRunsPostgres(url, bulkRuns()));
        setups.push(`PostgreSQL: ${fmt(RUNS, 0)} runs inserted in ${fmt(ms / 1000)} s (then ANALYZE)`);
        await measureRuns("PostgreSQL", pgStore);
      }
      if (part("series")) {
        let id = "";
        const ms = await time(async () => (id = await writeSeries(pgStore, "bench/series/long")));
        setups.push(`PostgreSQL: ${fmt(POINTS, 0)} points written in ${fmt(ms / 1000)} s`);
        await measureSeries("PostgreSQL", pgStore, id);
      }
      await pgStore.close();
    } finally {
      await server?.stop();
    }
  }
  if (part("local")) {
    backends.push("run folder");
    const root = join(dir, "runs");
    const writer = await openStore(`files:${root}`);
    let id = "";
    const ms = await time(async () => (id = await writeSeries(writer, "bench/series/long")));
    await writer.updateRun(id, { status: { status: "COMPLETED" } });
    await writer.close();
    const bytes = statSync(join(root, id, "metrics", "train", "data.jsonl")).size;
    setups.push(
      `run folder: ${fmt(POINTS, 0)} points written in ${fmt(ms / 1000)} s (${fmt(bytes / 2 ** 20, 0)} MiB of JSONL)`,
    );
    // The first exact read of a new store: what `labrun ui` pays once (parse, or build the index).
    const reader = await openStore(`files:${root}`);
    const firstMs = await time(() => reader.readMetrics(id, "train", { maxPoints: 1000, fields: ["loss"] }));
    setups.push(
      `run folder: first downsampled read of a new store (parses the file, or builds its index) ${fmt(firstMs / 1000)} s`,
    );
    record("first read of a new store object (set-up, not a goal), ms", "run folder", fmt(firstMs, 0));
    await measureSeries("run folder", reader, id, 3);
    await reader.close();
    // A new store object, as a restarted `labrun ui`: nothing in memory, the index (if any) on disk.
    const fresh = await openStore(`files:${root}`);
    record(
      "**a new store object (restarted `labrun ui`): whole range, one field, ms**",
      "run folder",
      `**${fmt(await time(() => fresh.readMetrics(id, "train", { maxPoints: 1000, fields: ["loss"] })), 1)}**`,
    );
    await fresh.close();
    const fresh2 = await openStore(`files:${root}`);
    record(
      "**… a 1 % zoom, one field, ms**",
      "run folder",
      `**${fmt(await time(() => fresh2.readMetrics(id, "train", { from: zoomFrom, to: zoomTo, maxPoints: 1000, fields: ["loss"] })), 1)}**`,
    );
    await fresh2.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pgVersion = postgresBinDir().split("/").at(-2) ?? "?";
const markdown = `
# Store read paths at scale (100,000 runs, a 10,000,000-point series)

Generated by \`node --import tsx bench/store-scale.ts --report\` (\`npm run bench:store-scale\`).

Date: ${started.toISOString()} · figures are median (min–max) of ${REPS} repetitions after one warm-up (the run folder's series: 3) · load average (1/5/15 min) at the start ${loadStart}, at the end ${load()} (2 cores shared with other work).

- CPU: ${cpus()[0]?.model ?? "?"} × ${cpus().length}; memory ${fmt(totalmem() / 2 ** 30)} GiB; ${osType()} ${release()}; Node ${process.version}
- SQLite file under ${tmpdir()} (WAL, synchronous=NORMAL); PostgreSQL ${pgVersion} started by the bench (default settings, fsync on), loopback TCP; the run folder under ${tmpdir()}.
- Set-up (not goals): ${setups.join("; ")}.

| measurement | ${backends.join(" | ")} |
| --- | ${backends.map(() => "---:").join(" | ")} |
${rows.map((r) => `| ${r.label} | ${backends.map((b) => r.values[b] ?? "").join(" | ")} |`).join("\n")}
`;
console.log(markdown);
if (!QUICK && !only) writeResultsSection(resultsFile, "store-scale", markdown);
