// Tracking-throughput benchmark (`npm run bench`, after the launch benchmark).
//
// What it measures, in one run, so every figure shares the machine's state:
//   - TypeScript: labrun's `run.metrics("train").log(point)` once per point and `append(records)` per
//     APPEND_BATCH points, 1M points with 1 field and with 10 fields, against the raw floor in the same process:
//     the same lines built with JSON.stringify and appended with fs.appendFileSync once per 1 MiB (labrun's
//     default flushBytes). Goal (issue 5): labrun ≥ 75 % of the raw points/s.
//   - Python (bench/python/tracking_throughput.py, a fresh interpreter per tool and round): labrun's Python
//     client (`log` per point, `append` per batch), raw json + os.write per 10,000 lines, ML-Dash 0.11 in local
//     mode, and MLflow's file store (`log_metric` loop, `log_batch`). Goal: labrun ≥ 10 × MLflow's log_metric.
//   - Memory: 10M points through `log()` in a fresh process of each language, RSS sampled every 100,000 points.
// Points/s = points / (first logging call → everything written to the files). TypeScript and Python's labrun
// and raw run REPS rounds (interleaved, median and min–max); the peers, much slower, run once (PEER_ROUNDS).
// The tables go to stdout and to the "tracking" section of bench/RESULTS.md (the rest of the file is kept).

import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { cpus, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Run } from "labrun";
import { writeResultsSection } from "./results-file.js";
import { machineBusyMs } from "./machine-load.js";
import { stat, type Stat } from "./stats.js";

// `--quick` (a smoke test of this script): 10× fewer points, one round, nothing written to RESULTS.md.
const QUICK = process.argv.includes("--quick");
const POINTS = QUICK ? 100_000 : 1_000_000;
const MEMORY_POINTS = QUICK ? 1_000_000 : 10_000_000;
const MEMORY_EVERY = 100_000;
const REPS = QUICK ? 1 : 3;
const PEER_ROUNDS = 1;
const APPEND_BATCH = 1000;
const RAW_BATCH_CHARS = 1024 * 1024;
const PY_RAW_BATCH = 10_000;
const MLFLOW_METRIC_POINTS = QUICK ? 200 : 2000;
const MLFLOW_BATCH_POINTS = QUICK ? { 1: 5000, 10: 500 } : { 1: 50_000, 10: 5000 };
const GOAL_TS_SHARE = 0.75;
const GOAL_PY_VS_MLFLOW = 10;
/** RSS may grow this much between the sample at a tenth of the points and the end of logging and still be flat. */
const FLAT_GROWTH_BYTES = 16 * 2 ** 20;
const FIELD_COUNTS = [1, 10] as const;
type FieldCount = (typeof FIELD_COUNTS)[number];

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const resultsFile = join(benchDir, "RESULTS.md");
const pythonScript = join(benchDir, "python", "tracking_throughput.py");
const peersPython = process.env.PEERS_PY ?? "/work/peers-venv/bin/python";

// ---------------------------------------------------------------- the points
//
// 1 field: { loss }. 10 fields: three integers and seven floats, cheap to compute so that the loop measures
// logging. The same builders feed labrun and the raw baseline (and bench/python/ spells out the same values).

type Point = Record<string, number>;

function point1(i: number): Point {
  return { loss: 1 / (i + 1) };
}

function point10(i: number): Point {
  const x = 1 / (i + 1);
  return {
    step: i,
    epoch: i >> 10,
    tokens: i * 2048,
    loss: x,
    acc: 1 - x,
    lr: 0.001,
    grad_norm: 3 * x,
    val_loss: 1.1 * x,
    val_acc: 1 - 1.1 * x,
    throughput: 1234.5,
  };
}

const pointOf = (fields: FieldCount) => (fields === 1 ? point1 : point10);

// ---------------------------------------------------------------- measuring

interface Sample {
  readonly points: number;
  /** First logging call → everything written, ms. */
  readonly wallMs: number;
  /** The logging calls alone (before the final flush), ms. */
  readonly loopMs: number;
  /** CPU time of the measuring process (all threads), ms. */
  readonly cpuMs: number;
  /** CPU time the rest of the machine used meanwhile, ms; NaN if unknown. */
  readonly foreignMs: number;
}

/** Runs `fn` (which returns when the logging loop ends and then flushes) and times it. */
async function timed(points: number, fn: (loopDone: () => void) => Promise<void> | void): Promise<Sample> {
  const busy0 = machineBusyMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let loopMs: number | undefined;
  await fn(() => (loopMs = performance.now() - t0));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { points, wallMs, loopMs: loopMs ?? wallMs, cpuMs, foreignMs: machineBusyMs() - busy0 - cpuMs };
}

function newWorkspace(label: string): string {
  return mkdtempSync(join(tmpdir(), `labrun-bench-${label}-`));
}

/** Newline count of a file and its last line. */
function scanLines(file: string): { lines: number; last: string } {
  const fd = openSync(file, "r");
  const buffer = Buffer.alloc(1 << 20);
  let lines = 0;
  let tail = Buffer.alloc(0);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) lines++;
      tail = Buffer.concat([tail, chunk]).subarray(-4096);
    }
  } finally {
    closeSync(fd);
  }
  const text = tail.toString("utf8").trimEnd();
  return { lines, last: text.slice(text.lastIndexOf("\n") + 1) };
}

/** The file must hold exactly one line per point, the last one numbered points − 1. */
function checkFile(file: string, points: number, what: string): void {
  const { lines, last } = scanLines(file);
  const index = (JSON.parse(last) as { index?: unknown }).index;
  if (lines !== points || index !== points - 1)
    throw new Error(`${what}: ${file} holds ${lines} lines, last index ${String(index)}; expected ${points}`);
}

async function labrunLog(fields: FieldCount, points = POINTS): Promise<Sample> {
  const root = newWorkspace("ts-log");
  try {
    const run = new Run({ prefix: `bench/tracking/ts-log-${fields}`, root });
    const stream = run.metrics("train");
    const make = pointOf(fields);
    const sample = await timed(points, async (loopDone) => {
      for (let i = 0; i < points; i++) stream.log(make(i));
      loopDone();
      await run.flush();
    });
    await run.complete();
    checkFile(join(run.dir, "metrics", "train", "data.jsonl"), points, "labrun log");
    return sample;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function labrunAppend(fields: FieldCount, points = POINTS): Promise<Sample> {
  const root = newWorkspace("ts-append");
  try {
    const run = new Run({ prefix: `bench/tracking/ts-append-${fields}`, root });
    const stream = run.metrics("train");
    const make = pointOf(fields);
    const sample = await timed(points, async (loopDone) => {
      let batch: Point[] = [];
      for (let i = 0; i < points; i++) {
        batch.push(make(i));
        if (batch.length === APPEND_BATCH) {
          stream.append(batch);
          batch = [];
        }
      }
      if (batch.length > 0) stream.append(batch);
      loopDone();
      await run.flush();
    });
    await run.complete();
    checkFile(join(run.dir, "metrics", "train", "data.jsonl"), points, "labrun append");
    return sample;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The lines labrun writes, built with JSON.stringify and appended with appendFileSync per 1 MiB. */
async function rawAppend(fields: FieldCount, points = POINTS): Promise<Sample> {
  const root = newWorkspace("ts-raw");
  const file = join(root, "data.jsonl");
  try {
    const make = pointOf(fields);
    const sample = await timed(points, () => {
      const fd = openSync(file, "a");
      try {
        let createdAt = new Date().toISOString();
        let text = "";
        for (let i = 0; i < points; i++) {
          const data = make(i);
          data._ts = Date.now() / 1000;
          text += JSON.stringify({ index: i, data, createdAt }) + "\n";
          if (text.length >= RAW_BATCH_CHARS) {
            appendFileSync(fd, text);
            text = "";
            createdAt = new Date().toISOString();
          }
        }
        if (text.length > 0) appendFileSync(fd, text);
      } finally {
        closeSync(fd);
      }
    });
    checkFile(file, points, "raw");
    return sample;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- memory (a child process of its own)

interface MemoryResult {
  readonly points: number;
  readonly wall_s: number;
  /** [points logged so far, RSS bytes]; the last one after the run completed. */
  readonly samples: [number, number][];
  /** VmHWM: the process's peak RSS. */
  readonly hwm: number;
  readonly file_bytes?: number;
}

function vmHwm(): number {
  const line = readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : NaN;
}

async function memoryChild(points: number): Promise<void> {
  const root = newWorkspace("ts-memory");
  try {
    const run = new Run({ prefix: "bench/tracking/ts-memory", root });
    const stream = run.metrics("train");
    const samples: [number, number][] = [[0, process.memoryUsage.rss()]];
    const t0 = performance.now();
    for (let i = 0; i < points; i++) {
      stream.log({ loss: 1 / (i + 1) });
      if ((i + 1) % MEMORY_EVERY === 0) samples.push([i + 1, process.memoryUsage.rss()]);
    }
    await run.flush();
    const wallMs = performance.now() - t0;
    await run.complete();
    samples.push([points, process.memoryUsage.rss()]);
    const hwm = vmHwm();
    const file = join(run.dir, "metrics", "train", "data.jsonl");
    checkFile(file, points, "memory");
    const result: MemoryResult = {
      points,
      wall_s: wallMs / 1000,
      samples,
      hwm,
      file_bytes: statSync(file).size,
    };
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function tsMemory(): MemoryResult {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--memory-child", String(MEMORY_POINTS)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 2 ** 20 },
  );
  if (child.status !== 0) throw new Error(`TS memory child failed (${child.status ?? child.signal})`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as MemoryResult;
}

// ---------------------------------------------------------------- Python

interface PyRecord {
  readonly tool: string;
  readonly api: string;
  readonly fields: FieldCount;
  readonly points: number;
  readonly wall_s: number;
  readonly loop_s: number;
  readonly cpu_ms: number;
  readonly foreign_ms: number;
  readonly python: string;
  readonly version?: string | null;
  readonly points_per_call?: number;
}

interface Python {
  readonly command: string;
  readonly version: string;
  /** Versions of the peers when the interpreter has them, else why not. */
  readonly peers: { mlDash: string; mlflow: string } | { missing: string };
}

function findPython(): Python | undefined {
  for (const command of [peersPython, "python3"]) {
    const probe = spawnSync(
      command,
      [
        "-c",
        "import sys, importlib.metadata as m\nprint(sys.version.split()[0])\n" +
          "try:\n import ml_dash, mlflow\n print(m.version('ml-dash'), m.version('mlflow'))\n" +
          "except Exception as e:\n print('!' + type(e).__name__ + ': ' + str(e))",
      ],
      { encoding: "utf8" },
    );
    if (probe.status !== 0) continue;
    const [version = "?", peers = ""] = probe.stdout.trim().split("\n");
    const [mlDash = "?", mlflow = "?"] = peers.split(" ");
    return {
      command,
      version,
      peers: peers.startsWith("!") ? { missing: `${command}: ${peers.slice(1)}` } : { mlDash, mlflow },
    };
  }
  return undefined;
}

function runPython(python: Python, tool: string, extra: string[] = []): PyRecord[] {
  const dir = newWorkspace("py-out");
  const out = join(dir, "results.jsonl");
  try {
    const child = spawnSync(python.command, ["-W", "ignore", pythonScript, tool, "--out", out, ...extra], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    if (child.status !== 0)
      throw new Error(`${pythonScript} ${tool} failed (${child.status ?? child.signal})`);
    return readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as PyRecord);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pySample = (r: PyRecord): Sample => ({
  points: r.points,
  wallMs: r.wall_s * 1000,
  loopMs: r.loop_s * 1000,
  cpuMs: r.cpu_ms,
  foreignMs: r.foreign_ms,
});

// ---------------------------------------------------------------- the plan

interface Measurement {
  readonly key: string;
  readonly label: string;
  readonly samples: Sample[];
}

const measurements = new Map<string, Measurement>();
function record(key: string, label: string, sample: Sample): void {
  let m = measurements.get(key);
  if (!m) measurements.set(key, (m = { key, label, samples: [] }));
  m.samples.push(sample);
  const foreign = (100 * sample.foreignMs) / (sample.wallMs * cpus().length);
  process.stderr.write(
    `${label.padEnd(78)} ${fmtInt(sample.points / (sample.wallMs / 1000)).padStart(11)} points/s  (other load ${fmt(Math.max(0, foreign), 0)} %)\n`,
  );
}
const samplesOf = (key: string): Sample[] => measurements.get(key)?.samples ?? [];

const fieldsLabel = (fields: FieldCount) => (fields === 1 ? "1 field" : `${fields} fields`);
const tsLabel = {
  log: (f: FieldCount) => `TS labrun metrics("train").log(point), ${fieldsLabel(f)}`,
  append: (f: FieldCount) => `TS labrun metrics("train").append(${APPEND_BATCH} points), ${fieldsLabel(f)}`,
  raw: (f: FieldCount) => `TS raw: JSON.stringify + appendFileSync per 1 MiB, ${fieldsLabel(f)}`,
};
const pyKey = (r: PyRecord) => `py-${r.tool}-${r.api}-${r.fields}`;
function pyLabel(r: PyRecord): string {
  const f = fieldsLabel(r.fields);
  switch (`${r.tool} ${r.api}`) {
    case "labrun log":
      return `Python labrun metrics("train").log(**point), ${f}`;
    case "labrun append":
      return `Python labrun metrics("train").append(${APPEND_BATCH} points), ${f}`;
    case "raw append":
      return `Python raw: json + os.write per ${fmtInt(PY_RAW_BATCH)} lines, ${f}`;
    case "ml-dash log":
      return `ML-Dash ${r.version ?? ""} local, metrics("train").log(**point), ${f}`;
    case "mlflow log_metric":
      return `MLflow ${r.version ?? ""} file store, log_metric per field and point, ${f}`;
    case "mlflow log_batch":
      return `MLflow ${r.version ?? ""} file store, log_batch (${r.points_per_call} points per call), ${f}`;
    default:
      return `${r.tool} ${r.api}, ${f}`;
  }
}

// ---------------------------------------------------------------- statistics

const rate = (s: Sample) => s.points / (s.wallMs / 1000);
const rateStat = (key: string) => stat(samplesOf(key).map(rate));

/** Points per CPU-second of the measuring process: less sensitive than wall time to other load. */
const cpuRate = (s: Sample) => s.points / (s.cpuMs / 1000);

/** Per-round ratios a/b of points/s, so each pair shares the machine's state of that round. */
function pairedRatio(aKey: string, bKey: string, by = rate): Stat {
  const a = samplesOf(aKey);
  const b = samplesOf(bKey);
  if (b.length === 1) return stat(a.map((s) => by(s) / by(b[0]!)));
  return stat(a.map((s, i) => by(s) / by(b[i]!)));
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);
const fmtInt = (value: number) => Math.round(value).toLocaleString("en-US");
const fmtRate = (s: Stat) =>
  s.n > 1 ? `${fmtInt(s.median)} (${fmtInt(s.min)}–${fmtInt(s.max)})` : `${fmtInt(s.median)} (1 run)`;
const fmtPct = (s: Stat) =>
  s.n > 1
    ? `${fmt(100 * s.median, 0)} % (${fmt(100 * s.min, 0)}–${fmt(100 * s.max, 0)})`
    : `${fmt(100 * s.median, 0)} %`;
const fmtTimes = (s: Stat) =>
  s.n > 1 ? `${fmt(s.median, 1)}× (${fmt(s.min, 1)}–${fmt(s.max, 1)})` : `${fmt(s.median, 1)}×`;
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 0)} MiB`;

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const python = findPython();
  const peers = python && "mlDash" in python.peers ? python.peers : undefined;

  // Warm-up (not reported): loads the modules, JIT-compiles the logging and stringify paths.
  for (const fields of FIELD_COUNTS) {
    await labrunLog(fields, 100_000);
    await labrunAppend(fields, 100_000);
    await rawAppend(fields, 100_000);
  }

  for (let round = 1; round <= REPS; round++) {
    process.stderr.write(`-- round ${round}/${REPS}\n`);
    for (const fields of FIELD_COUNTS) {
      record(`ts-log-${fields}`, tsLabel.log(fields), await labrunLog(fields));
      record(`ts-append-${fields}`, tsLabel.append(fields), await labrunAppend(fields));
      record(`ts-raw-${fields}`, tsLabel.raw(fields), await rawAppend(fields));
    }
    if (!python) continue;
    const tools = ["labrun", "raw", ...(peers && round <= PEER_ROUNDS ? ["ml-dash", "mlflow"] : [])];
    for (const tool of tools) {
      const extra = [
        "--points",
        String(POINTS),
        "--mlflow-metric-points",
        String(MLFLOW_METRIC_POINTS),
        "--mlflow-batch-points",
        `${MLFLOW_BATCH_POINTS[1]},${MLFLOW_BATCH_POINTS[10]}`,
      ];
      for (const r of runPython(python, tool, extra)) record(pyKey(r), pyLabel(r), pySample(r));
    }
  }

  process.stderr.write(`-- memory: ${fmtInt(MEMORY_POINTS)} points through log(), a fresh process each\n`);
  const tsMem = tsMemory();
  process.stderr.write(`TS     peak RSS ${mib(tsMem.hwm)}\n`);
  const pyMem = python
    ? (runPython(python, "memory", ["--points", String(MEMORY_POINTS)])[0] as unknown as MemoryResult)
    : undefined;
  if (pyMem) process.stderr.write(`Python peak RSS ${mib(pyMem.hwm)}\n`);
  const benchSeconds = (Date.now() - started) / 1000;

  // -------- the full table
  const cores = cpus().length;
  const rows: string[] = [
    "| measurement | points | wall, s: median (min–max) | points/s: median (min–max) | logging calls alone, points/s (median) | CPU per point, µs (median) | CPU use, % of one core (median) | other load, % of machine (max) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const m of measurements.values()) {
    const wall = stat(m.samples.map((s) => s.wallMs / 1000));
    const wallText =
      wall.n > 1 ? `${fmt(wall.median, 3)} (${fmt(wall.min, 3)}–${fmt(wall.max, 3)})` : fmt(wall.median, 3);
    const loopRate = stat(m.samples.map((s) => s.points / (s.loopMs / 1000)));
    const cpu = stat(m.samples.map((s) => (1000 * s.cpuMs) / s.points));
    const foreign = stat(m.samples.map((s) => (100 * s.foreignMs) / (s.wallMs * cores)));
    const use = stat(m.samples.map((s) => (100 * s.cpuMs) / s.wallMs));
    rows.push(
      `| ${m.label} | ${fmtInt(m.samples[0]!.points)} | ${wallText} | ${fmtRate(rateStat(m.key))} | ${fmtInt(loopRate.median)} | ${fmt(cpu.median, 2)} | ${fmt(use.median, 0)} | ${fmt(Math.max(0, foreign.max), 0)} |`,
    );
  }
  const allSamples = [...measurements.values()].flatMap((m) => m.samples);
  const foreignShare =
    (100 * allSamples.reduce((sum, s) => sum + s.foreignMs, 0)) /
    (allSamples.reduce((sum, s) => sum + s.wallMs, 0) * cores);
  const busyMachine = !(foreignShare < 5);
  const loadNote =
    `Other processes (and kernel threads) used ${Number.isNaN(foreignShare) ? "an unknown share" : `${fmt(Math.max(0, foreignShare), 1)} %`} of the machine's CPU time during the measurements` +
    (busyMachine
      ? ": **the machine was shared, so these figures are low and noisy; re-run on a quiet machine for the real ones.**"
      : " (a quiet machine).");

  // -------- side by side
  const ts = FIELD_COUNTS.map((f) => ({
    f,
    log: rateStat(`ts-log-${f}`),
    append: rateStat(`ts-append-${f}`),
    raw: rateStat(`ts-raw-${f}`),
    logShare: pairedRatio(`ts-log-${f}`, `ts-raw-${f}`),
    appendShare: pairedRatio(`ts-append-${f}`, `ts-raw-${f}`),
    logCpuShare: pairedRatio(`ts-log-${f}`, `ts-raw-${f}`, cpuRate),
    appendCpuShare: pairedRatio(`ts-append-${f}`, `ts-raw-${f}`, cpuRate),
  }));
  const tsTable = [
    `| writer (Node ${process.version}, ${fmtInt(POINTS)} points) | 1 field: points/s | share of raw | share of raw by CPU time | 10 fields: points/s | share of raw | share of raw by CPU time |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| labrun \`metrics("train").log(point)\`, one call per point | ${ts.map((t) => `${fmtRate(t.log)} | **${fmtPct(t.logShare)}** | ${fmtPct(t.logCpuShare)}`).join(" | ")} |`,
    `| labrun \`metrics("train").append(records)\`, ${fmtInt(APPEND_BATCH)} points per call | ${ts.map((t) => `${fmtRate(t.append)} | **${fmtPct(t.appendShare)}** | ${fmtPct(t.appendCpuShare)}`).join(" | ")} |`,
    `| raw: \`JSON.stringify\` of each line + \`appendFileSync\` per 1 MiB | ${ts.map((t) => `${fmtRate(t.raw)} | 100 % | 100 %`).join(" | ")} |`,
  ];

  const pyRows: string[] = [];
  const pyGoal: { f: FieldCount; ratio: Stat }[] = [];
  if (python) {
    const mlflowKey = (f: FieldCount) => `py-mlflow-log_metric-${f}`;
    const vsMlflow = (key: string, f: FieldCount) =>
      samplesOf(mlflowKey(f)).length ? fmtTimes(pairedRatio(key, mlflowKey(f))) : "—";
    const pyRow = (label: string, keyOf: (f: FieldCount) => string, bold = false) => {
      if (!samplesOf(keyOf(1)).length) return;
      const cells = FIELD_COUNTS.map((f) => {
        const key = keyOf(f);
        const times = vsMlflow(key, f);
        return `${fmtInt(samplesOf(key)[0]!.points)} | ${fmtRate(rateStat(key))} | ${bold ? `**${times}**` : times}`;
      });
      pyRows.push(`| ${label} | ${cells.join(" | ")} |`);
    };
    pyRows.push(
      `| writer (Python ${python.version}) | 1 field: points | points/s | × MLflow log_metric | 10 fields: points | points/s | × MLflow log_metric |`,
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    pyRow('labrun `metrics("train").log(**point)`, one call per point', (f) => `py-labrun-log-${f}`, true);
    pyRow(
      `labrun \`metrics("train").append(records)\`, ${fmtInt(APPEND_BATCH)} points per call`,
      (f) => `py-labrun-append-${f}`,
    );
    pyRow(
      `raw: \`json\` (compact encoder) of each line + \`os.write\` per ${fmtInt(PY_RAW_BATCH)} lines`,
      (f) => `py-raw-append-${f}`,
    );
    if (peers) {
      pyRow(
        `ML-Dash ${peers.mlDash}, local mode, \`metrics("train").log(**point)\``,
        (f) => `py-ml-dash-log-${f}`,
      );
      pyRow(
        `MLflow ${peers.mlflow}, file store, \`log_metric\` loop (one call per field and point)`,
        mlflowKey,
      );
      pyRow(
        `MLflow ${peers.mlflow}, file store, \`log_batch\` (≤ 1000 metrics per call)`,
        (f) => `py-mlflow-log_batch-${f}`,
      );
      for (const f of FIELD_COUNTS)
        pyGoal.push({ f, ratio: pairedRatio(`py-labrun-log-${f}`, mlflowKey(f)) });
    }
  }

  // -------- memory
  const memRow = (name: string, m: MemoryResult) => {
    const during = m.samples.slice(0, -1);
    const at = (points: number) => during.find(([p]) => p === points)?.[1] ?? NaN;
    const endOfLogging = during[during.length - 1]![1];
    const growth = endOfLogging - at(MEMORY_POINTS / 10);
    return {
      flat: growth <= FLAT_GROWTH_BYTES,
      growth,
      row:
        `| ${name} | ${fmtInt(m.points / m.wall_s)} | ${mib(m.samples[0]![1])} | ${mib(at(MEMORY_POINTS / 10))} | ${mib(at(MEMORY_POINTS / 2))} | ` +
        `${mib(endOfLogging)} | ${mib(Math.max(...during.map(([, rss]) => rss)))} | ${mib(m.samples[m.samples.length - 1]![1])} | ${mib(m.hwm)} | ${growth >= 0 ? "+" : ""}${fmt(growth / 2 ** 20, 1)} MiB |`,
    };
  };
  const tenth = fmtInt(MEMORY_POINTS / 10);
  const memTs = memRow(`TypeScript (Node ${process.version})`, tsMem);
  const memPy = pyMem ? memRow(`Python ${python!.version}`, pyMem) : undefined;
  const memTable = [
    `| process (log() × ${fmtInt(MEMORY_POINTS)}, 1 field) | points/s | RSS at start | at ${fmtInt(MEMORY_POINTS / 10)} points | at ${fmtInt(MEMORY_POINTS / 2)} | at ${fmtInt(MEMORY_POINTS)} | highest sample while logging | after complete() | peak (VmHWM) | growth ${tenth} → end |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    memTs.row,
    ...(memPy ? [memPy.row] : []),
  ];

  // -------- goals
  const share = (s: Stat) => Number(fmt(100 * s.median, 0));
  const goals: { text: string; measured: string; met: boolean }[] = [];
  for (const t of ts) {
    goals.push({
      text: `TS \`log()\` ≥ ${fmt(100 * GOAL_TS_SHARE, 0)} % of raw batched JSONL append, ${fieldsLabel(t.f)}`,
      measured: `${share(t.logShare)} % (by CPU time ${share(t.logCpuShare)} %)`,
      met: share(t.logShare) >= 100 * GOAL_TS_SHARE,
    });
    goals.push({
      text: `TS \`append()\` ≥ ${fmt(100 * GOAL_TS_SHARE, 0)} % of raw batched JSONL append, ${fieldsLabel(t.f)}`,
      measured: `${share(t.appendShare)} % (by CPU time ${share(t.appendCpuShare)} %)`,
      met: share(t.appendShare) >= 100 * GOAL_TS_SHARE,
    });
  }
  for (const g of pyGoal) {
    goals.push({
      text: `Python \`log()\` ≥ ${GOAL_PY_VS_MLFLOW}× MLflow's \`log_metric\` loop, ${fieldsLabel(g.f)}`,
      measured: `${fmt(g.ratio.median, 1)}×`,
      met: Number(fmt(g.ratio.median, 1)) >= GOAL_PY_VS_MLFLOW,
    });
  }
  goals.push({
    text: `memory flat over ${fmtInt(MEMORY_POINTS)} points, TypeScript (RSS growth ${tenth} points → end ≤ ${mib(FLAT_GROWTH_BYTES)})`,
    measured: `${fmt(memTs.growth / 2 ** 20, 1)} MiB, peak ${mib(tsMem.hwm)}`,
    met: memTs.flat,
  });
  if (memPy)
    goals.push({
      text: `memory flat over ${fmtInt(MEMORY_POINTS)} points, Python (RSS growth ${tenth} points → end ≤ ${mib(FLAT_GROWTH_BYTES)})`,
      measured: `${fmt(memPy.growth / 2 ** 20, 1)} MiB, peak ${mib(pyMem!.hwm)}`,
      met: memPy.flat,
    });
  const goalTable = [
    "| goal | measured (median) | met |",
    "| --- | ---: | :---: |",
    ...goals.map((g) => `| ${g.text} | ${g.measured} | ${g.met ? "yes" : "**no**"} |`),
  ];
  const missed = goals.filter((g) => !g.met);
  const verdict =
    missed.length === 0
      ? "**All goals met.**"
      : `**Goals NOT met:** ${missed.map((g) => g.text).join("; ")}.`;

  console.log(
    [
      "",
      ...rows,
      "",
      ...tsTable,
      "",
      ...pyRows,
      "",
      ...memTable,
      "",
      ...goalTable,
      "",
      verdict,
      loadNote,
      `(bench took ${fmt(benchSeconds, 0)} s)`,
    ].join("\n"),
  );

  // -------- RESULTS.md
  const labrunVersion = (
    JSON.parse(readFileSync(join(benchDir, "..", "package.json"), "utf8")) as { version: string }
  ).version;
  const cpuList = cpus();
  const fsType =
    spawnSync("stat", ["-f", "-c", "%T", tmpdir()], { encoding: "utf8" }).stdout?.trim() || "unknown";
  const machine = [
    `- CPU: ${cpuList[0]?.model ?? "unknown"} × ${cpuList.length}`,
    `- memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB`,
    `- OS: ${osType()} ${release()}`,
    `- Node ${process.version}; labrun ${labrunVersion} (built dist/, imported as "labrun"; the Python client from clients/python)`,
    python
      ? `- Python ${python.version} (\`${python.command}\`)` +
        (peers
          ? `; ML-Dash ${peers.mlDash} and MLflow ${peers.mlflow} from PyPI, installed there`
          : `; peers not measured (${"missing" in python.peers ? python.peers.missing : ""})`)
      : "- Python: none found, Python figures not measured",
    `- temporary directories under ${tmpdir()} (${fsType}), one per measurement, deleted afterwards; no writer here calls fsync, so writes land in the page cache`,
  ];

  const md = [
    "# Tracking throughput",
    "",
    "Generated by `npm run bench` (bench/tracking-throughput.ts, with bench/python/tracking_throughput.py for Python); this section is replaced by a run with `--report` (`npm run bench:report`) — do not edit by hand.",
    "",
    `Date: ${new Date().toISOString()} · ${REPS} rounds for labrun and the raw baselines, each measurement once per round (interleaved), median and min–max over the rounds; ` +
      `ML-Dash and MLflow ${PEER_ROUNDS === 1 ? "once" : `${PEER_ROUNDS} rounds`} (they are much slower) · bench took ${fmt(benchSeconds, 0)} s.`,
    "",
    "## Machine",
    "",
    ...machine,
    "",
    "## What runs",
    "",
    "- **Points**: 1 field `{ loss }`, or 10 fields `{ step, epoch, tokens, loss, acc, lr, grad_norm, val_loss, val_acc, throughput }` (3 integers, 7 floats, new values each point). " +
      'Every writer stores each point with its time `_ts` (epoch seconds, read per point) as one line `{"index":i,"data":{…,"_ts":…},"createdAt":…}` of `metrics/train/data.jsonl` (ML-Dash\'s local layout); MLflow writes its own layout (one file per metric key, a line per value).',
    "- **points/s** = points / time from the first logging call until everything is written to the files: the writer's flush (`await run.flush()`, Python `run.flush()`, ML-Dash `exp.flush()`) is inside the time; creating and completing the run is not. " +
      '"Logging calls alone" leaves the final flush out (for the Python client and ML-Dash a background thread writes meanwhile). After each measurement the file is checked: one line per point.',
    `- **TypeScript**, in this process: labrun \`run.metrics("train").log(point)\` once per point, and \`append(records)\` with ${fmtInt(APPEND_BATCH)} points per call, default options (lines are written once 1 MiB waits). ` +
      "**Raw** is the floor of the same work in Node: each line built with one `JSON.stringify` of `{ index, data, createdAt }`, and appended with `fs.appendFileSync` on an `O_APPEND` descriptor once 1 MiB of text waits. " +
      `Goal (issue 5): labrun ≥ ${fmt(100 * GOAL_TS_SHARE, 0)} % of raw, compared per round (the two ran back to back).`,
    `- **Python**, a fresh interpreter per tool and round (one tool's imports and threads never slow another): labrun's client \`Run(prefix=…, root=…)\` with \`metrics("train").log(**point)\` once per point and \`append(records)\` per ${fmtInt(APPEND_BATCH)} points; ` +
      `**raw**: each line \`json.JSONEncoder(separators=(",", ":")).encode(...)\`, appended with one \`os.write\` per ${fmtInt(PY_RAW_BATCH)} lines (the client's default batch); ` +
      '**ML-Dash**: `Experiment(prefix=…, dash_root=…)`, `exp.run.start()`, `metrics("train").log(**point)` (its default background buffer: a thread that takes at most 1,000 points per stream per pass; once 100,000 points wait, `log` blocks until there is room, so ML-Dash\'s process mostly waits, see its CPU use); ' +
      `**MLflow**: \`MlflowClient\` on a \`file:\` tracking URI (\`MLFLOW_ALLOW_FILE_STORE=true\`, which MLflow 3 asks for), default synchronous logging: \`log_metric(run_id, key, value, step=i)\` once per field and point, measured on ${fmtInt(MLFLOW_METRIC_POINTS)} points only (it is slow), ` +
      `and \`log_batch\` with at most 1000 metrics per call (MLflow's limit: 1000 points per call with 1 field, 100 with 10), on ${fmtInt(MLFLOW_BATCH_POINTS[1])} / ${fmtInt(MLFLOW_BATCH_POINTS[10])} points. ` +
      `Goal: labrun's \`log()\` ≥ ${GOAL_PY_VS_MLFLOW}× MLflow's \`log_metric\` loop.`,
    `- **Memory**: ${fmtInt(MEMORY_POINTS)} points through \`log()\` (1 field) in a fresh process per language (\`node\` with the same loader as this script; the same Python interpreter), RSS read every ${fmtInt(MEMORY_EVERY)} points ` +
      "(`process.memoryUsage.rss()`, `/proc/self/statm`), the peak from `VmHWM` in `/proc/self/status`. The start figure is after the run is created, before the first point. " +
      `Flat = RSS at the end of logging at most ${mib(FLAT_GROWTH_BYTES)} above RSS at ${fmtInt(MEMORY_POINTS / 10)} points (a leak of 2 bytes per point would exceed it).`,
    "- **CPU per point** is the measuring process's CPU time (all threads) / points; **CPU use** is that CPU time / wall time (100 % = one core busy throughout). **Other load** is the CPU time the rest of the machine used during a measurement (/proc/stat busy time minus this process's), " +
      "as a share of all CPUs over that wall time; anything above a few % means another workload competed with the benchmark.",
    "",
    "## Results",
    "",
    loadNote,
    "",
    ...rows,
    "",
    "## Side by side",
    "",
    "TypeScript, this process (share of raw: per-round ratio of points/s, median (min–max); by CPU time: the same with points per CPU-second of this process, which other load disturbs less; the goal is on points/s):",
    "",
    ...tsTable,
    "",
    ...(pyRows.length
      ? [
          `Python (× MLflow log_metric: against the MLflow run of the same field count${PEER_ROUNDS === 1 ? ", measured once" : ""}; MLflow's log_metric points/s come from ${fmtInt(MLFLOW_METRIC_POINTS)} points):`,
          "",
          ...pyRows,
          "",
        ]
      : []),
    `Memory while logging ${fmtInt(MEMORY_POINTS)} points:`,
    "",
    ...memTable,
    "",
    "## Goal",
    "",
    `From issue 5: "TS ≥ 75% of raw batched JSONL append measured in the same run; Python ≥ 10× MLflow's \`log_metric\` loop. Memory stays flat while logging 10M points."`,
    "",
    ...goalTable,
    "",
    verdict,
    "",
  ].join("\n");
  if (QUICK) return;
  writeResultsSection(resultsFile, "tracking", md);
  process.stderr.write(`wrote the tracking section of ${resultsFile}\n`);
}

if (process.argv[2] === "--memory-child") await memoryChild(Number(process.argv[3]));
else await main();
