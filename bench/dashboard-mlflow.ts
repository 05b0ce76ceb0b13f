// MLflow's UI beside labrun's dashboard on the same data, in the same Chromium
// (`node --import tsx bench/dashboard-mlflow.ts`; needs mlflow in /work/peers-venv, or MLFLOW=path/to/mlflow).
// Data: one run with a POINTS-point metric (default 1,000,000) and COMPARE runs × COMPARE_POINTS points,
// written once in labrun's format and once in MLflow's file store format (mlruns/<experiment>/<run>/metrics/<key>:
// "timestamp value step" lines), each served by its own UI. The time is from navigation start until a chart
// shows the metric (labrun: the chart's canvas holds data; MLflow: a plotted line in the run's metric chart).
// Appends an "MLflow UI" table to the dashboard section of bench/RESULTS.md.

import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { startDashboard } from "../src/server/dashboard/start-dashboard.js";
import { WorkspaceSource } from "../src/server/dashboard/workspace-source.js";
import { launchChromium } from "../test/dashboard/browser.js";
import { writeBigRun, writeCompareRuns } from "./dashboard-data.js";
import { reportRequested } from "./results-file.js";

const POINTS = Number(process.env.POINTS ?? 1_000_000);
const COMPARE = Number(process.env.COMPARE ?? 20);
const COMPARE_POINTS = Number(process.env.COMPARE_POINTS ?? 10_000);
const mlflow = process.env.MLFLOW ?? "/work/peers-venv/bin/mlflow";
const resultsFile = fileURLToPath(new URL("RESULTS.md", import.meta.url));
if (!existsSync(mlflow)) {
  console.log(
    `No mlflow at ${mlflow}: python3 -m venv /work/peers-venv && /work/peers-venv/bin/pip install mlflow`,
  );
  process.exit(0);
}

/**
 * Experiments and runs created by MLflow's own client (so their metadata is what MLflow writes), then each
 * run's metric history written directly in the file store's format: one "timestamp value step" line a point.
 * Returns the run ids, by experiment name.
 */
function createMlflowRuns(store: string, spec: Record<string, string[]>): Record<string, string[]> {
  const python = join(mlflow, "..", "python3");
  const script = `
import json, sys, mlflow
mlflow.set_tracking_uri("file://${store}")
out = {}
for exp, runs in json.loads(sys.argv[1]).items():
    eid = mlflow.create_experiment(exp)
    out[exp] = []
    for name in runs:
        with mlflow.start_run(experiment_id=eid, run_name=name) as run:
            mlflow.log_param("lr", 0.001)
            mlflow.log_metric("loss", 1.0, step=0)
            out[exp].append((eid, run.info.run_id))
print(json.dumps(out))
`;
  const result = spawnSync(python, ["-c", script, JSON.stringify(spec)], {
    encoding: "utf8",
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true" },
  });
  if (result.status !== 0) throw new Error(`mlflow client failed: ${result.stderr.slice(-2000)}`);
  const created = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, [string, string][]>;
  return Object.fromEntries(
    Object.entries(created).map(([exp, runs]) => [exp, runs.map(([eid, rid]) => `${eid}/${rid}`)]),
  );
}

function writeMlflowMetric(
  store: string,
  run: string,
  key: string,
  points: number,
  value: (i: number) => number,
): void {
  const start = Date.UTC(2026, 0, 2);
  const fd = openSync(join(store, run, "metrics", key), "w");
  let text = "";
  for (let i = 0; i < points; i++) {
    text += `${start + i * 10} ${value(i)} ${i}\n`;
    if (text.length > 4_000_000) {
      writeSync(fd, text);
      text = "";
    }
  }
  writeSync(fd, text);
  closeSync(fd);
}

async function timeTo(page: Page, url: string, ready: string, timeout = 60_000): Promise<number | string> {
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
const rows: [string, string, string][] = [];
let server: ReturnType<typeof spawn> | undefined;
try {
  const bigId = writeBigRun(root, POINTS);
  const compareIds = writeCompareRuns(root, COMPARE, COMPARE_POINTS);
  const created = createMlflowRuns(store, {
    big: ["one-million"],
    compare: Array.from({ length: COMPARE }, (_, r) => `run-${r}`),
  });
  const big = (i: number) => +(2 * Math.exp((-i / POINTS) * 4) + 0.1 * Math.sin(i / 50)).toFixed(5);
  const bigRun = created.big![0]!;
  writeMlflowMetric(store, bigRun, "loss", POINTS, big);
  created.compare!.forEach((run, r) =>
    writeMlflowMetric(
      store,
      run,
      "loss",
      COMPARE_POINTS,
      (i) => +(2 * Math.exp(-(i / COMPARE_POINTS) * (2 + r / 5))).toFixed(5),
    ),
  );
  const [bigExperiment, bigRunId] = bigRun.split("/") as [string, string];
  const compareExperiment = created.compare![0]!.split("/")[0]!;

  const port = 5055;
  server = spawn(
    mlflow,
    [
      "server",
      "--backend-store-uri",
      `file://${store}`,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      "1",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      // MLflow 3 refuses its file store unless asked; it reads it as before.
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: "true" },
    },
  );
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
    if (i > 240 || server.exitCode !== null)
      throw new Error(`mlflow server did not start:\n${log.slice(-2000)}`);
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
      [
        `one run, ${POINTS.toLocaleString()}-point metric`,
        `${labrun.url}runs/view?ids=${enc(bigId)}&k=${enc("^train\\.loss$")}`,
        `${base}/#/experiments/${bigExperiment}/runs/${bigRunId}/model-metrics`,
      ],
      [
        `compare ${COMPARE} runs × ${COMPARE_POINTS.toLocaleString()} points`,
        `${labrun.url}runs/view?ids=${compareIds.map(enc).join(",")}&k=${enc("^train\\.loss$")}`,
        `${base}/#/experiments/${compareExperiment}/runs?compareRunsMode=CHART`,
      ],
    ];
    for (const [what, labrunUrl, mlflowUrl] of cases) {
      const ours = await timeTo(await page(), labrunUrl, labrunChart);
      const p = await page();
      const theirs = await timeTo(p, mlflowUrl, mlflowLine);
      await p.screenshot({ path: join(root, `mlflow-${what.replace(/\W+/g, "-")}.png`) });
      const show = (v: number | string) => (typeof v === "number" ? `${Math.round(v)} ms` : v);
      rows.push([what, show(ours), show(theirs)]);
      console.log(what, show(ours), show(theirs));
    }
  } finally {
    await close();
    await labrun.close();
  }
  const version =
    /(\d+\.\d+\.\d+)/.exec(spawnSync(mlflow, ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? "";
  const table = [
    "",
    `MLflow's UI (mlflow ${version || "from PyPI"}, \`mlflow server\` over its file store, 1 worker) on the same data, same Chromium — time until`,
    `a chart shows the metric (first visit of each page, a fresh browser context; both UIs measured one after the other under the same load, load average ${loadavg()[0]!.toFixed(1)}):`,
    "",
    "| Data | labrun dashboard | MLflow UI |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  console.log(table);
  if (!reportRequested) {
    console.log(
      '(bench/RESULTS.md left as it is: run with --report to add this table to the "dashboard" section)',
    );
  } else {
    const text = readFileSync(resultsFile, "utf8");
    const end = "<!-- dashboard:end -->";
    const cleaned = text.replace(/\nMLflow's UI \(mlflow[\s\S]*?(?=\n<!-- dashboard:end -->)/, "");
    writeFileSync(
      resultsFile,
      cleaned.includes(end) ? cleaned.replace(end, `${table}\n${end}`) : `${cleaned}\n${table}\n`,
    );
  }
} finally {
  server?.kill("SIGTERM");
  rmSync(root, { recursive: true, force: true });
}
