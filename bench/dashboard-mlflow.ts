// MLflow's UI beside labrun's dashboard on the same data, in the same Chromium
// (`node --import tsx bench/dashboard-mlflow.ts`; needs mlflow in /work/peers-venv, or MLFLOW=path/to/mlflow).
// Data: one run with a POINTS-point metric (default 1,000,000) and COMPARE runs × COMPARE_POINTS points,
// written once in labrun's format and once in MLflow's file store format (mlruns/<experiment>/<run>/metrics/<key>:
// "timestamp value step" lines), each served by its own UI. The time is from navigation start until a chart
// shows the metric (labrun: the chart's canvas holds data; MLflow: a plotted line in the run's metric chart).
// Appends an "MLflow UI" table to the dashboard section of bench/RESULTS.md.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { startDashboard } from "../src/server/dashboard/start-dashboard.js";
import { WorkspaceSource } from "../src/server/dashboard/workspace-source.js";
import { launchChromium } from "../test/dashboard/browser.js";
import { writeBigRun, writeCompareRuns } from "./dashboard-data.js";

const POINTS = Number(process.env.POINTS ?? 1_000_000);
const COMPARE = Number(process.env.COMPARE ?? 20);
const COMPARE_POINTS = Number(process.env.COMPARE_POINTS ?? 10_000);
const mlflow = process.env.MLFLOW ?? "/work/peers-venv/bin/mlflow";
const resultsFile = fileURLToPath(new URL("RESULTS.md", import.meta.url));
if (!existsSync(mlflow)) {
  console.log(`No mlflow at ${mlflow}: python3 -m venv /work/peers-venv && /work/peers-venv/bin/pip install mlflow`);
  process.exit(0);
}

/** An MLflow file-store run with one metric, as MLflow's FileStore lays it out. */
function writeMlflowRun(store: string, experiment: string, runId: string, name: string, key: string, points: number, value: (i: number) => number) {
  const dir = join(store, experiment, runId);
  mkdirSync(join(dir, "metrics"), { recursive: true });
  mkdirSync(join(dir, "params"), { recursive: true });
  mkdirSync(join(dir, "tags"), { recursive: true });
  mkdirSync(join(dir, "artifacts"), { recursive: true });
  const start = Date.UTC(2026, 0, 2);
  writeFileSync(
    join(dir, "meta.yaml"),
    [
      `artifact_uri: file://${dir}/artifacts`,
      `end_time: ${start + 3_600_000}`,
      "entry_point_name: ''",
      `experiment_id: '${experiment}'`,
      "lifecycle_stage: active",
      `run_id: ${runId}`,
      `run_name: ${name}`,
      `run_uuid: ${runId}`,
      "source_name: ''",
      "source_type: 4",
      "source_version: ''",
      `start_time: ${start}`,
      "status: 3",
      "tags: []",
      "user_id: bench",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "tags", "mlflow.runName"), name);
  writeFileSync(join(dir, "params", "lr"), "0.001");
  let text = "";
  const lines: string[] = [];
  for (let i = 0; i < points; i++) {
    text += `${start + i * 10} ${value(i)} ${i}\n`;
    if (text.length > 4_000_000) {
      lines.push(text);
      text = "";
    }
  }
  lines.push(text);
  writeFileSync(join(dir, "metrics", key), lines.join(""));
}

function writeMlflowExperiment(store: string, id: string, name: string) {
  mkdirSync(join(store, id), { recursive: true });
  writeFileSync(
    join(store, id, "meta.yaml"),
    [
      `artifact_location: file://${join(store, id)}`,
      `creation_time: ${Date.UTC(2026, 0, 1)}`,
      `experiment_id: '${id}'`,
      `last_update_time: ${Date.UTC(2026, 0, 1)}`,
      "lifecycle_stage: active",
      `name: ${name}`,
      "",
    ].join("\n"),
  );
}

async function timeTo(page: Page, url: string, ready: string, timeout = 120_000): Promise<number | string> {
  await page.goto(url, { waitUntil: "commit" });
  try {
    await page.waitForFunction(ready, undefined, { timeout, polling: 100 });
  } catch {
    return `no chart after ${timeout / 1000} s`;
  }
  return (await page.evaluate("performance.now()")) as number;
}

const root = mkdtempSync(join(tmpdir(), "labrun-bench-mlflow-"));
const store = join(root, "mlruns");
const hex = (n: number) => n.toString(16).padStart(32, "0");
const rows: [string, string, string][] = [];
let server: ReturnType<typeof spawn> | undefined;
try {
  const bigId = writeBigRun(root, POINTS);
  const compareIds = writeCompareRuns(root, COMPARE, COMPARE_POINTS);
  writeMlflowExperiment(store, "0", "Default");
  writeMlflowExperiment(store, "1", "big");
  writeMlflowExperiment(store, "2", "compare");
  const big = (i: number) => +(2 * Math.exp((-i / POINTS) * 4) + 0.1 * Math.sin(i / 50)).toFixed(5);
  writeMlflowRun(store, "1", hex(1), "one-million", "loss", POINTS, big);
  for (let r = 0; r < COMPARE; r++)
    writeMlflowRun(store, "2", hex(100 + r), `run-${r}`, "loss", COMPARE_POINTS, (i) => +(2 * Math.exp(-(i / COMPARE_POINTS) * (2 + r / 5))).toFixed(5));

  const port = 5055;
  server = spawn(mlflow, ["server", "--backend-store-uri", `file://${store}`, "--host", "127.0.0.1", "--port", String(port), "--workers", "1"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MLFLOW_ENABLE_FILE_STORE: "true" },
  });
  let log = "";
  server.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  server.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 240) throw new Error(`mlflow server did not start:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const labrun = await startDashboard(new WorkspaceSource(root), { port: 0 });
  const { browser, close } = await launchChromium();
  try {
    const page = async () => (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const enc = encodeURIComponent;
    // MLflow draws its run charts with Plotly: a trace's line path appears once the metric history arrived.
    const mlflowLine = `document.querySelector(".js-plotly-plot .scatterlayer .trace path.js-line, .js-plotly-plot .scatterlayer path") !== null`;
    const labrunChart = `document.querySelector('[data-key="train.loss"] [data-ready="1"] canvas') !== null`;

    const cases: [string, string, string][] = [
      [`one run, ${POINTS.toLocaleString()}-point metric`, `${labrun.url}runs/view?ids=${enc(bigId)}&k=${enc("^train\\.loss$")}`, `${base}/#/experiments/1/runs/${hex(1)}/model-metrics`],
      [`compare ${COMPARE} runs × ${COMPARE_POINTS.toLocaleString()} points`, `${labrun.url}runs/view?ids=${compareIds.map(enc).join(",")}&k=${enc("^train\\.loss$")}`, `${base}/#/experiments/2?compareRunsMode=CHART`],
    ];
    for (const [what, labrunUrl, mlflowUrl] of cases) {
      const ours = await timeTo(await page(), labrunUrl, labrunChart);
      const p = await page();
      const theirs = await timeTo(p, mlflowUrl, mlflowLine);
      await p.screenshot({ path: join(root, "..", `mlflow-${what.replace(/\W+/g, "-")}.png`) });
      const show = (v: number | string) => (typeof v === "number" ? `${Math.round(v)} ms` : v);
      rows.push([what, show(ours), show(theirs)]);
      console.log(what, show(ours), show(theirs));
    }
  } finally {
    await close();
    await labrun.close();
  }
  const version = log.match(/mlflow[^\n]*?(\d+\.\d+\.\d+)/i)?.[1] ?? "";
  const table = [
    "",
    `MLflow's UI (mlflow ${version || "from PyPI"}, \`mlflow server\` over its file store, 1 worker) on the same data, same Chromium — time until`,
    "a chart shows the metric (first visit of each page, a fresh browser context):",
    "",
    "| Data | labrun dashboard | MLflow UI |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  const text = readFileSync(resultsFile, "utf8");
  const end = "<!-- dashboard:end -->";
  const cleaned = text.replace(/\nMLflow's UI \(mlflow[\s\S]*?(?=\n<!-- dashboard:end -->)/, "");
  writeFileSync(resultsFile, cleaned.includes(end) ? cleaned.replace(end, `${table}\n${end}`) : `${cleaned}\n${table}\n`);
  console.log(table);
} finally {
  server?.kill("SIGTERM");
  rmSync(root, { recursive: true, force: true });
}
