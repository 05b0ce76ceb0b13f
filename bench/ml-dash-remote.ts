// ML-Dash's own client through labrun serve (`node --import tsx bench/ml-dash-remote.ts [--quick] [--report]`).
//
// A real `labrun serve` process on SQLite (a fresh file) with token auth. In each round, two Python clients log
// POINTS points ({loss, step}, one `metrics("train").log` call per point) in remote mode, one after the other,
// each to its own run: the real ml-dash 0.11 (.venv-compat/, its default buffering) and labrun's own Python
// client (clients/python, same interpreter). Measured: points/s from opening the run to the end of its close
// (inside the client), and the server process's CPU time over that interval (/proc/<pid>/stat), as a share
// of one core. Every run's point count is checked through labrun's API afterwards.
// Results: stdout and the "ml-dash-remote" section of bench/RESULTS.md (with --report).

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeResultsSection } from "./results-file.js";

const QUICK = process.argv.includes("--quick");
const POINTS = QUICK ? 20_000 : 200_000;
const ROUNDS = QUICK ? 1 : 3;
const repo = fileURLToPath(new URL("..", import.meta.url));
const labrunBin = join(repo, "bin", "labrun.js");
const python = join(repo, ".venv-compat", "bin", "python");
const client = join(repo, "bench", "python", "ml_dash_remote_ingest.py");
const tools = ["ml-dash", "labrun"] as const;
type Tool = (typeof tools)[number];

if (!existsSync(python)) {
  console.error(`${python} is missing: run \`node scripts/ensure-ml-dash-venv.mjs\` first.`);
  process.exit(2);
}

function collect(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = "";
  child.stdout?.on("data", (c) => (out += c));
  child.stderr?.on("data", (c) => (out += c));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out })));
}

/** CPU time (user + system) of a process so far, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const dir = mkdtempSync(join(tmpdir(), "labrun-bench-ml-dash-"));
const db = `sqlite:${join(dir, "labrun.db")}`;
const created = await collect(
  spawn(process.execPath, [labrunBin, "token", "create", "--project", "*", "--db", db, "--json"], {
    env: { ...process.env, LABRUN_HOME: dir },
  }),
);
const token = (JSON.parse(created.out) as { secret: string }).secret;
const config = join(dir, "dash-config");
mkdirSync(config);
writeFileSync(join(config, "tokens.json"), JSON.stringify({ "ml-dash-token": token }));

const server = spawn(
  process.execPath,
  [labrunBin, "serve", "--port", "0", "--db", db, "--files", join(dir, "files")],
  { env: { ...process.env, LABRUN_HOME: dir }, stdio: ["ignore", "pipe", "pipe"] },
);
const url = await new Promise<string>((resolve, reject) => {
  let out = "";
  server.stdout!.on("data", (c) => {
    out += c;
    const match = /listening on (http:\/\/\S+)/.exec(out);
    if (match) resolve(match[1]!);
  });
  server.once("exit", (code) => reject(new Error(`labrun serve exited (${code}): ${out}`)));
});

interface Sample {
  readonly tool: Tool;
  readonly pointsPerSecond: number;
  readonly serverCpu: number;
}

async function measure(tool: Tool, round: number): Promise<Sample> {
  const prefix = `bench/ml-dash/${tool}/round-${round}`;
  const cpuBefore = cpuSeconds(server.pid!);
  const wallBefore = performance.now();
  const result = await collect(
    spawn(python, [client, tool, url, token, prefix, String(POINTS)], {
      env: { ...process.env, ML_DASH_CONFIG_DIR: config, LABRUN_HOME: dir },
    }),
  );
  const wall = (performance.now() - wallBefore) / 1000;
  const serverCpu = (cpuSeconds(server.pid!) - cpuBefore) / wall;
  if (result.code !== 0) throw new Error(`${tool} client failed (${result.code}):\n${result.out}`);
  const line = result.out.split("\n").find((l) => l.startsWith('{"tool"'));
  const { seconds } = JSON.parse(line!) as { seconds: number };
  const get = (path: string) =>
    fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as any);
  const run = (await get(`/api/runs/by-prefix?prefix=${encodeURIComponent(prefix)}`)).run;
  const streams = (await get(`/api/runs/${run.id}/metrics`)).streams as { stream: string; count: number }[];
  const count = streams.find((s) => s.stream === "train")?.count;
  if (count !== POINTS) throw new Error(`${tool}: the server holds ${count} points, not ${POINTS}`);
  const sample = { tool, pointsPerSecond: POINTS / seconds, serverCpu };
  console.log(
    `${tool.padEnd(8)} round ${round}: ${Math.round(sample.pointsPerSecond).toLocaleString("en-US")} points/s, ` +
      `server CPU ${(serverCpu * 100).toFixed(1)} % of a core`,
  );
  return sample;
}

const load = loadavg()[0]!;
const samples: Sample[] = [];
try {
  for (let round = 0; round < ROUNDS; round++)
    for (const tool of tools) samples.push(await measure(tool, round));
} finally {
  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
  rmSync(dir, { recursive: true, force: true });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const rows = tools.map((tool) => {
  const mine = samples.filter((s) => s.tool === tool);
  const rates = mine.map((s) => s.pointsPerSecond);
  const cpu = mine.map((s) => s.serverCpu * 100);
  const name =
    tool === "ml-dash"
      ? "ml-dash 0.11 (`Experiment(dash_url=…)`)"
      : "labrun Python client (`Run(dash_url=…)`)";
  return `| ${name} | ${fmt(median(rates))} | ${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))} | ${median(cpu).toFixed(1)} % (max ${Math.max(...cpu).toFixed(1)} %) |`;
});
const mlDashCpu = median(samples.filter((s) => s.tool === "ml-dash").map((s) => s.serverCpu * 100));
const goal =
  `Goal (issue #14): while ml-dash logs, the server stays under 25 % CPU, so ml-dash's client is limited by its ` +
  `own batching, not by the server: ${mlDashCpu < 25 ? "met" : "not met"} (${mlDashCpu.toFixed(1)} %).`;
const markdown = `
## ML-Dash's own client through labrun serve

${POINTS.toLocaleString("en-US")} points \`{loss, step}\` logged one \`metrics("train").log(...)\` call at a time in remote mode to a real
\`labrun serve\` (SQLite, token auth), by the real ml-dash 0.11 client (its default buffering: batches of up to
1,000 points every 5 s or when full, one HTTP request each) and by labrun's own Python client, one after the
other, ${ROUNDS} rounds, on ${cpus().length} cores (1-minute load average ${load.toFixed(1)} at the start). Points/s: from
opening the run to the end of its close (every point acknowledged). Server CPU: the \`labrun serve\` process's
CPU time over the client's run, as a share of one core. Every run's point count is checked afterwards.
(\`node --import tsx bench/ml-dash-remote.ts --report\`.)

| client | points/s (median) | min–max | server CPU (median) |
| ------ | ----------------: | ------: | ------------------: |
${rows.join("\n")}

${goal}
`;
console.log(markdown);
if (!QUICK) writeResultsSection(join(repo, "bench", "RESULTS.md"), "ml-dash-remote", markdown);
