// How fast the web dashboard (`labrun ui`) becomes useful on big workspaces, measured in Debian's Chromium
// (`npm run build && node --import tsx bench/dashboard.ts`). Sizes by environment variable:
//   EXPERIMENTS=10000 (×5 jobs), RUNS=1000 runs × STREAMS=10 streams × FIELDS=300 fields (3,000 metric keys)
//   × KEY_POINTS=2 points, POINTS=1000000 points in one stream, COMPARE=20 runs × COMPARE_POINTS=10000.
// Each figure is the time from navigation start (performance.now() in the page) until the view shows what it
// is for: the first rows of a table, or a chart drawn with its data. The server runs in this process over a
// temporary workspace written directly in labrun's formats. Results go to bench/RESULTS.md (dashboard section).

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { startDashboard } from "../src/server/dashboard/start-dashboard.js";
import { WorkspaceSource } from "../src/server/dashboard/workspace-source.js";
import { launchChromium } from "../test/dashboard/browser.js";
import { writeBigRun, writeCompareRuns, writeExperiments, writeSweep } from "./dashboard-data.js";
import { writeResultsSection } from "./results-file.js";
import { WorkspaceIndex } from "../src/workspace/index/index.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const EXPERIMENTS = env("EXPERIMENTS", 10_000);
const RUNS = env("RUNS", 1000);
const STREAMS = env("STREAMS", 10);
const FIELDS = env("FIELDS", 300);
const KEY_POINTS = env("KEY_POINTS", 2);
const POINTS = env("POINTS", 1_000_000);
const COMPARE = env("COMPARE", 20);
const COMPARE_POINTS = env("COMPARE_POINTS", 10_000);
const resultsFile = fileURLToPath(new URL("RESULTS.md", import.meta.url));
// PARTS=experiments or PARTS=runs measures (and reports) one of the two sections alone.
const parts = new Set((process.env.PARTS ?? "experiments,runs").split(","));

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (value: number) => `${Math.round(value)} ms`;

async function timed<T>(what: string, fn: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  const took = performance.now() - start;
  console.log(`${what}: ${seconds(took)}`);
  return { value, ms: took };
}

/** Navigates and waits for `ready` (a browser expression); the time is the page's own, from navigation start. */
async function open(page: Page, url: string, ready: string): Promise<number> {
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(ready, undefined, { timeout: 180_000, polling: "raf" });
  return (await page.evaluate("performance.now()")) as number;
}

/** Time in the page from now until `ready` holds after `act` ran. */
async function after(page: Page, act: () => Promise<void>, ready: string): Promise<number> {
  const start = (await page.evaluate("performance.now()")) as number;
  await act();
  await page.waitForFunction(ready, undefined, { timeout: 60_000, polling: "raf" });
  return ((await page.evaluate("performance.now()")) as number) - start;
}

/** Scrolls a virtualised table for 2 s, a few rows per frame; the 95th percentile of frame intervals. */
const scrollFrames = `new Promise((resolve) => {
  const el = document.querySelector(".vtable");
  const gaps = [];
  let last = performance.now();
  const end = last + 2000;
  const step = (now) => {
    gaps.push(now - last);
    last = now;
    el.scrollTop += 240;
    if (now < end) requestAnimationFrame(step);
    else {
      gaps.sort((a, b) => a - b);
      resolve({ frames: gaps.length, p95: gaps[Math.floor(gaps.length * 0.95)], max: gaps[gaps.length - 1] });
    }
  };
  requestAnimationFrame(step);
})`;

const chartReady = (key: string) =>
  `document.querySelector('[data-key="${key}"] [data-ready="1"] canvas') !== null`;
const chartShown = (key: string) =>
  `Number((document.querySelector('[data-key="${key}"] [data-testid=chart-info]')?.textContent ?? "").split(" ")[0].replace(/,/g, ""))`;

// Two workspaces: the experiments' 50,000 job folders would otherwise be scanned for job runs by the runs views.
const root = mkdtempSync(join(tmpdir(), "labrun-bench-dashboard-"));
const runsRoot = join(root, "runs-workspace");
const rows: [string, string, string][] = [];
const experimentRows: [string, string, string][] = [];
const notes: string[] = [];
try {
  if (parts.has("experiments"))
    await timed(`${EXPERIMENTS} experiments × 5 jobs written (and indexed as their drivers do)`, () =>
      writeExperiments(root, EXPERIMENTS, 5, true),
    );
  const gen = parts.has("runs")
    ? [
        await timed(`${RUNS} runs × ${STREAMS * FIELDS} metric keys written`, () =>
          writeSweep(runsRoot, RUNS, STREAMS, FIELDS, KEY_POINTS),
        ),
        await timed(`1 run × ${POINTS} points written`, () => writeBigRun(runsRoot, POINTS)),
        await timed(`${COMPARE} runs × ${COMPARE_POINTS} points written`, () =>
          writeCompareRuns(runsRoot, COMPARE, COMPARE_POINTS),
        ),
      ]
    : [];
  const sweepIds = (gen[0]?.value ?? []) as string[];
  const bigId = (gen[1]?.value ?? "") as string;
  const compareIds = (gen[2]?.value ?? []) as string[];

  const experimentsServer = await startDashboard(new WorkspaceSource(root), { port: 0 });
  const server = await startDashboard(new WorkspaceSource(runsRoot), { port: 0 });
  const { browser, close } = await launchChromium();
  try {
    // One page at a time: an open page keeps polling the server, which would slow the next one down.
    let context: Awaited<ReturnType<typeof browser.newContext>> | undefined;
    const fresh = async () => {
      await context?.close();
      context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      return context.newPage();
    };
    const enc = encodeURIComponent;
    let page = await fresh();

    if (parts.has("experiments")) {
      // Experiments: the first visit finds the index (index.sqlite) as labrun's drivers leave it: current.
      const firstRow = `document.querySelectorAll("[data-testid=experiments] .vrow.body").length > 5`;
      const coldList = await open(page, `${experimentsServer.url}experiments`, firstRow);
      experimentRows.push([
        `${EXPERIMENTS.toLocaleString()} experiments: first visit (index kept by labrun's writers)`,
        "rows shown",
        ms(coldList),
      ]);
      page = await fresh();
      const warmList = await open(page, `${experimentsServer.url}experiments`, firstRow);
      experimentRows.push([
        `${EXPERIMENTS.toLocaleString()} experiments (index up to date)`,
        "rows shown",
        ms(warmList),
      ]);
      const search = await after(
        page,
        () => page.getByTestId("search").fill("title-42_"),
        `document.querySelector("[data-testid=count]")?.textContent === "${EXPERIMENTS / 100} of ${EXPERIMENTS}"`,
      );
      experimentRows.push([
        `${EXPERIMENTS.toLocaleString()} experiments`,
        `search typed → ${EXPERIMENTS / 100} rows`,
        ms(search),
      ]);
      await page.getByTestId("search").fill("");
      await page.waitForFunction(
        `document.querySelector("[data-testid=count]")?.textContent === "${EXPERIMENTS} of ${EXPERIMENTS}"`,
      );
      const frames = (await page.evaluate(scrollFrames)) as { frames: number; p95: number; max: number };
      experimentRows.push([
        `${EXPERIMENTS.toLocaleString()} experiments`,
        "scrolling: frame time p95 / max",
        `${ms(frames.p95)} / ${ms(frames.max)}`,
      ]);

      const listed = await timed("runs listing beside 50,000 job folders", async () =>
        (await fetch(`${experimentsServer.url}api/dashboard/runs`)).text(),
      );
      experimentRows.push([
        `the ${EXPERIMENTS.toLocaleString()}-experiment workspace (${(EXPERIMENTS * 5).toLocaleString()} job folders, no job runs)`,
        "runs listing (server, cold)",
        ms(listed.ms),
      ]);

      // The same experiments copied in behind the index's back (no index.sqlite): the first visit builds it.
      WorkspaceIndex.discard(root);
      page = await fresh();
      const unindexed = await open(page, `${experimentsServer.url}experiments`, firstRow);
      experimentRows.push([
        `${EXPERIMENTS.toLocaleString()} experiments: first visit, files copied in without an index (builds it)`,
        "rows shown",
        ms(unindexed),
      ]);
    }

    if (parts.has("runs")) {
      // Runs: 1,000 runs with 3,000 metric keys each (plus the others), then one of them.
      page = await fresh();
      const total = RUNS + 1 + COMPARE;
      const runsList = await open(
        page,
        `${server.url}runs?p=bench/sweep`,
        `/^${RUNS} of ${total}$/.test(document.querySelector("[data-testid=count]")?.textContent ?? "")`,
      );
      rows.push([
        `${RUNS.toLocaleString()} runs × ${(STREAMS * FIELDS).toLocaleString()} metric keys`,
        "runs table shown",
        ms(runsList),
      ]);
      const column = await after(
        page,
        async () => {
          await page.getByTestId("add-metric").fill("s03.f0150");
          await page.getByTestId("add-metric").press("Enter");
        },
        `document.querySelectorAll('[data-testid=runs] [data-col="m:s03.f0150"]').length > 5 && [...document.querySelectorAll('[data-testid=runs] [data-col="m:s03.f0150"]')].every((e) => e.textContent !== "")`,
      );
      rows.push([`${RUNS.toLocaleString()} runs`, "latest-value column added (all runs)", ms(column)]);
      const sortColumn = await after(
        page,
        () => page.locator(".vrow.head > div", { hasText: "s03.f0150" }).click(),
        `document.querySelector(".vrow.head")?.textContent?.includes("s03.f0150 ▲")`,
      );
      rows.push([`${RUNS.toLocaleString()} runs`, "sorted by that column", ms(sortColumn)]);
      page = await fresh();
      const oneRun = await open(
        page,
        `${server.url}runs/view?ids=${enc(sweepIds[7]!)}`,
        chartReady("s00.f0000"),
      );
      rows.push([
        `one run with ${(STREAMS * FIELDS).toLocaleString()} metric keys`,
        "first chart drawn",
        ms(oneRun),
      ]);

      // One run with a 1M-point stream: the first read parses the file; zooms then read the parsed columns.
      page = await fresh();
      const bigUrl = `${server.url}runs/view?ids=${enc(bigId)}&k=${enc("^train\\.loss$")}`;
      const bigCold = await open(page, bigUrl, chartReady("train.loss"));
      rows.push([
        `${POINTS.toLocaleString()}-point metric`,
        "first visit: chart drawn from a sample of the file",
        ms(bigCold),
      ]);
      await page.waitForFunction(
        `document.querySelector('[data-key="train.loss"] [data-exact="1"] canvas') !== null`,
        undefined,
        { timeout: 120_000 },
      );
      const bigExact = (await page.evaluate("performance.now()")) as number;
      rows.push([
        `${POINTS.toLocaleString()}-point metric`,
        "first visit: exact chart (file parsed, min/max kept)",
        ms(bigExact),
      ]);
      page = await fresh();
      const bigWarm = await open(page, bigUrl, chartReady("train.loss"));
      const shownPoints = (await page.evaluate(chartShown("train.loss"))) as number;
      rows.push([
        `${POINTS.toLocaleString()}-point metric`,
        `chart drawn (${shownPoints.toLocaleString()} points sent)`,
        ms(bigWarm),
      ]);
      const box = (await page.locator('[data-key="train.loss"] .u-over').boundingBox())!;
      const zoomOnce = async (from: number, to: number) =>
        after(
          page,
          async () => {
            await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
            await page.mouse.down();
            await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 4 });
            await page.mouse.up();
          },
          `new URL(location.href).searchParams.get("z") !== ${JSON.stringify(new URL(page.url()).searchParams.get("z"))} && document.querySelector('[data-key="train.loss"] [data-ready="1"] canvas') !== null && !document.querySelector('[data-key="train.loss"] [data-testid=chart-info]').textContent.includes("loading")`,
        );
      const zoom1 = await zoomOnce(0.7, 0.78);
      const zoom2 = await zoomOnce(0.3, 0.5);
      const zoomedPoints = (await page.evaluate(chartShown("train.loss"))) as number;
      rows.push([
        `${POINTS.toLocaleString()}-point metric`,
        "zoom (drag) → finer data drawn, twice",
        `${ms(zoom1)}, ${ms(zoom2)}`,
      ]);
      notes.push(
        `After two zooms the chart shows ${zoomedPoints.toLocaleString()} points of the ~${Math.round(POINTS * 0.08 * 0.2).toLocaleString()} in range.`,
      );

      // Compare 20 runs on one chart.
      page = await fresh();
      const compare = await open(
        page,
        `${server.url}runs/view?ids=${compareIds.map(enc).join(",")}&k=${enc("^train\\.loss$")}`,
        chartReady("train.loss"),
      );
      rows.push([
        `compare ${COMPARE} runs × ${COMPARE_POINTS.toLocaleString()} points`,
        "one chart drawn",
        ms(compare),
      ]);
    }
  } finally {
    await close();
    await server.close();
    await experimentsServer.close();
  }

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const tableOf = (lines: readonly [string, string, string][]) =>
    ["| Data | Measured | Time |", "| --- | --- | --- |", ...lines.map((r) => `| ${r.join(" | ")} |`)].join(
      "\n",
    );
  const machine = `\`node --import tsx bench/dashboard.ts\` — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu},
${Math.round(totalmem() / 2 ** 30)} GiB (${Math.round(freemem() / 2 ** 30)} GiB free), Node ${process.version}, Debian's Chromium (headless,
playwright-core), dashboard server in the same process, workspace on local disk; load average at the end
${loadavg()
  .map((l) => l.toFixed(1))
  .join(" / ")} (1 / 5 / 15 min: the machine is shared, so the times are pessimistic).`;
  if (parts.has("experiments")) {
    const table = tableOf(experimentRows);
    writeResultsSection(
      resultsFile,
      "dashboard-experiments",
      `## Web dashboard (\`labrun ui\`) in Chromium: ${EXPERIMENTS.toLocaleString()} experiments

${machine} \`PARTS=experiments\` measures this section alone.

${EXPERIMENTS.toLocaleString()} experiments × 5 jobs (5 % still running) written in labrun's formats, each recorded in the workspace
index as its driver does when it writes the experiment's records (\`syncExperiment\`, what \`indexWhileDriving\` and
\`indexExperiment\` call): the workspace labrun's own writers leave. The first visit then finds the index current; a
listing still compares every experiment.json's stamp with its row (a change behind the index's back shows at once).
For the last row the index is deleted, as in a workspace copied without it: that first visit builds it from the
50,000 job files. Times are from navigation start (the page's \`performance.now()\`) until rows are shown; a fresh
browser context per page.

${table}
`,
    );
    console.log(`\n${table}`);
  }
  if (parts.has("runs")) {
    const table = tableOf(rows);
    const markdown = `## Web dashboard (\`labrun ui\`) in Chromium

${machine} \`PARTS=runs\` measures this section alone (the experiments have their own, above).

Data written directly in labrun's formats: ${RUNS.toLocaleString()} runs in one
project with ${STREAMS} streams × ${FIELDS} fields = ${(STREAMS * FIELDS).toLocaleString()} metric keys each (${KEY_POINTS} points per stream, to keep
the files ${Math.round((RUNS * STREAMS * KEY_POINTS * FIELDS * 17) / 2 ** 20)} MB); one run with a ${POINTS.toLocaleString()}-point stream (2 fields);
${COMPARE} runs × ${COMPARE_POINTS.toLocaleString()} points. Times are from navigation start (the page's \`performance.now()\`) to the moment
the view shows what it is for; a fresh browser context per page.

${table}

${notes.join(" ")} Charts ask the server for about 2 points per pixel (min and max per bucket, so spikes stay); the
server parses a metric file once into columns and reads only what was appended since, so a zoom costs a binary search
and one pass over the range.
`;
    writeResultsSection(resultsFile, "dashboard", markdown);
    console.log(`\n${table}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
