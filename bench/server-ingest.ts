// Team-server benchmark (`node --import tsx bench/server-ingest.ts`; `--quick` for a smoke run that writes nothing).
//
// Against a real `labrun serve` process (bin/labrun.js, built dist/) with token auth, on SQLite (a fresh file)
// and on PostgreSQL (a throw-away server from test/store/postgres-setup.ts with its durable defaults):
//   - batched ingest over HTTP: points/s with 1 and with 8 concurrent clients, each POSTing batches of
//     BATCH points ({loss, step}) to its own run; the request bodies are built before the clock starts so the
//     client's JSON work does not compete with the server for the 2 cores;
//   - 100 concurrent writers for WRITERS_SECONDS: each its own run, a batch of 100 points then a 100 ms
//     pause (a training loop), counting errors and request latency;
//   - the same mlflow client script (test/server/fixtures/mlflow_log.py: params, STEPS×2 log_metric calls,
//     tags, two artifacts, end) through the mlflow client against `mlflow server` (full mlflow from PyPI in
//     /work/peers-venv, SQLite backend, artifact proxy) and against `labrun serve` (SQLite).
// Results: stdout and the "server" section of bench/RESULTS.md.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { startTestPostgres } from "../test/store/postgres-setup.js";
import { writeResultsSection } from "./results-file.js";

const QUICK = process.argv.includes("--quick");
const BATCH = 10_000;
const INGEST_POINTS = QUICK ? 200_000 : 1_000_000;
const WRITERS = 100;
const WRITERS_SECONDS = QUICK ? 5 : Number(process.env.WRITERS_SECONDS ?? 60);
const MLFLOW_STEPS = QUICK ? 20 : 200;
const ROUNDS = QUICK ? 1 : 3;

const repo = fileURLToPath(new URL("..", import.meta.url));
const labrunBin = join(repo, "bin", "labrun.js");
const peersPython = process.env.PEERS_PY ?? "/work/peers-venv/bin/python";
const mlflowBin = join(peersPython, "..", "mlflow");
// Checked before measuring anything: a missing peer would otherwise end the run half way, its data left behind.
if (!existsSync(mlflowBin)) {
  console.error(
    `MLflow, the peer this bench compares with, is not at ${mlflowBin}: set PEERS_PY to a Python whose environment has mlflow.`,
  );
  process.exit(2);
}
const mlflowScript = join(repo, "test", "server", "fixtures", "mlflow_log.py");

interface Server {
  readonly url: string;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) resolve(match);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}):\n${output}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  });
}

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function labrunServer(db: string, dir: string): Promise<Server & { token: string }> {
  const created = await run(process.execPath, [
    labrunBin,
    "token",
    "create",
    "--project",
    "*",
    "--db",
    db,
    "--json",
  ]);
  if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`);
  const token = (JSON.parse(created.stdout) as { secret: string }).secret;
  const child = spawn(
    process.execPath,
    [labrunBin, "serve", "--port", "0", "--db", db, "--files", join(dir, "files")],
    {
      env: { ...process.env, LABRUN_HOME: dir },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const match = await waitForLine(child, /listening on (http:\/\/\S+)/, "labrun serve");
  return { url: match[1]!, token, stop: () => stopProcess(child) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function mlflowServer(dir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    mlflowBin,
    [
      "server",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--backend-store-uri",
      `sqlite:///${join(dir, "mlflow.db")}`,
      "--artifacts-destination",
      join(dir, "mlartifacts"),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk) => (output = (output + chunk).slice(-5000)));
  child.stderr!.on("data", (chunk) => (output = (output + chunk).slice(-5000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`mlflow server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: () => stopProcess(child) };
}

async function call(url: string, token: string, method: string, path: string, body?: string): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function batchBody(clientId: string, seq: number, size: number, from: number): string {
  const points = new Array(size);
  for (let i = 0; i < size; i++)
    points[i] = {
      fields: { loss: 1 / (from + i + 1), step: from + i },
      ts: 1_700_000_000 + (from + i) / 1000,
    };
  return JSON.stringify({ clientId, seq, metrics: [{ stream: "train", points }] });
}

/** `clients` concurrent clients, each its own run, together INGEST_POINTS points; returns points/s. */
async function ingest(server: Server & { token: string }, label: string, clients: number): Promise<number> {
  const perClient = Math.floor(INGEST_POINTS / clients / BATCH);
  const runs: string[] = [];
  const bodies: string[][] = [];
  for (let c = 0; c < clients; c++) {
    const { run } = await call(
      server.url,
      server.token,
      "POST",
      "/api/runs",
      JSON.stringify({ prefix: `bench/ingest/${label}-${clients}-${c}-${Date.now()}` }),
    );
    runs.push(run.id);
    bodies.push(
      Array.from({ length: perClient }, (_, b) => batchBody(`client-${c}`, b + 1, BATCH, b * BATCH)),
    );
  }
  const start = performance.now();
  await Promise.all(
    runs.map(async (runId, c) => {
      for (const body of bodies[c]!)
        await call(server.url, server.token, "POST", `/api/runs/${runId}/batches`, body);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  for (const runId of runs) {
    const series = await call(
      server.url,
      server.token,
      "GET",
      `/api/runs/${runId}/metrics/train?maxPoints=10`,
    );
    if (series.count !== perClient * BATCH)
      throw new Error(`run ${runId} holds ${series.count} points, expected ${perClient * BATCH}`);
  }
  return (clients * perClient * BATCH) / seconds;
}

/** WRITERS concurrent writers for WRITERS_SECONDS: errors, points, latency percentiles. */
async function writers(server: Server & { token: string }, label: string) {
  const runs = await Promise.all(
    Array.from({ length: WRITERS }, (_, w) =>
      call(
        server.url,
        server.token,
        "POST",
        "/api/runs",
        JSON.stringify({ prefix: `bench/writers/${label}-${w}-${Date.now()}` }),
      ).then((r) => r.run.id as string),
    ),
  );
  const latencies: number[] = [];
  let errors = 0;
  let points = 0;
  const firstErrors: string[] = [];
  const end = Date.now() + WRITERS_SECONDS * 1000;
  await Promise.all(
    runs.map(async (runId, w) => {
      let seq = 1;
      while (Date.now() < end) {
        const body = batchBody(`writer-${w}`, seq, 100, (seq - 1) * 100);
        const started = performance.now();
        try {
          await call(server.url, server.token, "POST", `/api/runs/${runId}/batches`, body);
          points += 100;
          seq++;
        } catch (error) {
          errors++;
          if (firstErrors.length < 3) firstErrors.push((error as Error).message);
        }
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    errors,
    points,
    requests: latencies.length,
    p50: pct(0.5),
    p99: pct(0.99),
    max: latencies.at(-1) ?? 0,
    firstErrors,
  };
}

async function mlflowScriptSeconds(url: string, token?: string): Promise<number> {
  const result = await run(peersPython, [mlflowScript], {
    MLFLOW_TRACKING_URI: url,
    STEPS: String(MLFLOW_STEPS),
    EXPERIMENT: `bench-${Date.now()}`,
    ...(token ? { MLFLOW_TRACKING_TOKEN: token } : {}),
  });
  const line = result.stdout.split("\n").find((l) => l.startsWith("{"));
  if (result.code !== 0 || !line)
    throw new Error(`mlflow script failed (${result.code}):\n${result.stderr.slice(-2000)}`);
  return (JSON.parse(line) as { log_seconds: number }).log_seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 5000);
  const rows: string[] = [];
  const writerRows: string[] = [];
  const backends: { name: string; open: () => Promise<{ db: string; close: () => Promise<void> }> }[] = [
    {
      name: "SQLite",
      open: async () => {
        // The database grows past 100 MB a run: removed with its folder once the server has closed it.
        const dir = mkdtempSync(join(tmpdir(), "bench-srv-"));
        return {
          db: `sqlite:${join(dir, "labrun.db")}`,
          close: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
    {
      name: "PostgreSQL",
      open: async () => {
        const pg = await startTestPostgres();
        return { db: await pg.createDatabase(), close: () => pg.stop() };
      },
    },
  ];
  for (const backend of backends) {
    const dir = mkdtempSync(join(tmpdir(), "bench-server-"));
    const database = await backend.open();
    const server = await labrunServer(database.db, dir);
    try {
      const results: Record<number, number[]> = { 1: [], 8: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const clients of [1, 8]) results[clients]!.push(await ingest(server, backend.name, clients));
      }
      for (const clients of [1, 8]) {
        const values = results[clients]!;
        const line = `| ${backend.name} | ${clients} | ${fmt(median(values))} | ${fmt(Math.min(...values))}–${fmt(Math.max(...values))} |`;
        rows.push(line);
        console.log(line);
      }
      const w = await writers(server, backend.name);
      const line = `| ${backend.name} | ${WRITERS} × ${WRITERS_SECONDS} s | ${w.requests} | ${fmt(w.points)} | ${w.errors} | ${w.p50.toFixed(1)} / ${w.p99.toFixed(1)} / ${w.max.toFixed(1)} |`;
      writerRows.push(line);
      console.log(line, w.firstErrors.join(" | "));
    } finally {
      await server.stop();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // The same mlflow client script against mlflow server and labrun serve (both SQLite), interleaved.
  const mlDir = mkdtempSync(join(tmpdir(), "bench-mlflow-"));
  const mlflow = await mlflowServer(mlDir);
  const labrun = await labrunServer(`sqlite:${join(mlDir, "labrun.db")}`, mlDir);
  const times = { mlflow: [] as number[], labrun: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      times.mlflow.push(await mlflowScriptSeconds(mlflow.url));
      times.labrun.push(await mlflowScriptSeconds(labrun.url, labrun.token));
    }
  } finally {
    await mlflow.stop();
    await labrun.stop();
    rmSync(mlDir, { recursive: true, force: true });
  }
  const mlRows = (["mlflow", "labrun"] as const).map((name) => {
    const values = times[name];
    const label =
      name === "mlflow"
        ? "`mlflow server` 3.17.2 (SQLite backend, artifact proxy)"
        : "`labrun serve` (SQLite, token auth)";
    return `| ${label} | ${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}) | ${fmt((MLFLOW_STEPS * 2) / median(values))} |`;
  });
  console.log(mlRows.join("\n"));

  clearInterval(loadTimer);
  const meanLoad = loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : loadavg()[0]!;
  const markdown = `# Team server (labrun serve)

Generated by \`node --import tsx bench/server-ingest.ts\`; this section is replaced by a run with \`--report\` (\`npm run bench:report\`) — do not edit by hand.

Date: ${new Date().toISOString()} · ${ROUNDS} rounds (median and min–max) · bench took ${Math.round((Date.now() - startedAt) / 1000)} s.

Machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${osType()} ${release()}, Node ${process.version}. The benchmark's clients run on the same 2 cores as the server and the database. Machine load during the run (1-minute load average, sampled every 5 s): mean ${meanLoad.toFixed(1)}, max ${Math.max(...loads, 0).toFixed(1)}; a load above 2 means other processes competed for these 2 cores and every figure below is lower than on a quiet machine.

## Batched ingest over HTTP

A real \`labrun serve\` process with token auth; each client POSTs batches of ${fmt(BATCH)} points \`{loss, step}\` (about ${Math.round(batchBody("c", 1, BATCH, 0).length / 1024)} KiB of JSON) to /api/runs/:id/batches of its own run, one request at a time, ${fmt(INGEST_POINTS)} points in all; bodies are serialised before the clock starts. Then every run's point count is checked. PostgreSQL runs with its durable defaults (fsync on).

| database | clients | points/s (median) | min–max |
| --- | ---: | ---: | ---: |
${rows.join("\n")}

## ${WRITERS} concurrent writers

Each writer has its own run and loops: one batch of 100 points, then a 100 ms pause, for ${WRITERS_SECONDS} s.

| database | writers × time | requests | points stored | errors | latency ms p50 / p99 / max |
| --- | --- | ---: | ---: | ---: | ---: |
${writerRows.join("\n")}

## The same MLflow logging script, mlflow server vs labrun

test/server/fixtures/mlflow_log.py through the real mlflow client 3.17.2: set_experiment, start_run, log_params (3), set_tag ×3, ${MLFLOW_STEPS} steps × 2 \`log_metric\` calls (one HTTP request each), two log_artifact, end_run. Time from set_experiment to the end of the run, inside the script.

| server | seconds (median, min–max) | log_metric calls/s |
| --- | ---: | ---: |
${mlRows.join("\n")}
`;
  if (!QUICK) writeResultsSection(join(repo, "bench", "RESULTS.md"), "server", markdown);
  else console.log(markdown);
}

await main();
