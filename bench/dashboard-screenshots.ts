// The screenshots of docs/dashboard.md and the README (`npm run build && node --import tsx bench/dashboard-screenshots.ts`):
// a workspace with the browser tests' real experiment (Python jobs run through the CLI), 40 more experiments
// and a 12-run learning-rate sweep written in labrun's formats, looked at in Chromium. Writes docs/images/dashboard-*.png.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startDashboard } from "../src/server/dashboard/start-dashboard.js";
import { WorkspaceSource } from "../src/server/dashboard/workspace-source.js";
import { launchChromium } from "../test/dashboard/browser.js";
import { writeExperiments, writeRunRecord, writeStream } from "./dashboard-data.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const out = join(repo, "docs", "images");
mkdirSync(out, { recursive: true });
const root = mkdtempSync(join(tmpdir(), "labrun-shots-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  writeExperiments(root, 40, 6);
  // A learning-rate sweep: loss and accuracy curves, eval every 100 steps.
  const lrs = [0.3, 0.1, 0.03, 0.01];
  for (let r = 0; r < 12; r++) {
    const lr = lrs[r % 4]!;
    const seed = Math.floor(r / 4);
    const prefix = `alice/vision/sweep/resnet-lr${lr}-s${seed}`;
    const dir = join(root, "runs", ...prefix.split("/"));
    const start = Date.UTC(2026, 10, 20, 9) + r * 600_000;
    writeRunRecord(
      dir,
      prefix,
      { lr, seed, "model.depth": 50, "model.width": 64, "optim.name": "adamw", batch: 256 },
      start,
    );
    const decay = lr * 12;
    const noise = (i: number) => 0.04 * Math.sin(i * 1.7 + r) + 0.03 * Math.sin(i * 0.31 + seed);
    writeStream(
      dir,
      "train",
      3000,
      ["loss", "acc"],
      (f, i) => {
        const loss =
          2.3 * Math.exp(-decay * (i / 3000) * 3) +
          0.15 +
          0.25 * (lr === 0.3 ? Math.abs(Math.sin(i / 400)) : 0) +
          noise(i);
        return +(f === 0 ? loss : Math.min(0.99, 1 - loss / 2.6)).toFixed(5);
      },
      start,
    );
    writeStream(
      dir,
      "eval",
      30,
      ["acc"],
      (_f, i) => +Math.min(0.97, 0.3 + 0.65 * (1 - Math.exp(-decay * (i / 30) * 3)) - seed * 0.01).toFixed(4),
      start,
    );
  }

  // The tests' real experiment, launched through the CLI, still running while the pages are shot.
  const experiment = spawn(
    process.execPath,
    [
      join(repo, "bin", "labrun.js"),
      "run",
      join(repo, "test", "dashboard", "fixtures", "dash-experiment.ts"),
    ],
    {
      env: { ...process.env, LABRUN_HOME: root, TICKS: "100", NO_COLOR: "1" },
      stdio: "ignore",
    },
  );
  const server = await startDashboard(new WorkspaceSource(root), { port: 0 });
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    const shot = (name: string) => page.screenshot({ path: join(out, `dashboard-${name}.png`) });
    await page.goto(`${server.url}experiments`);
    await page.locator("[data-testid=experiments] .vrow.body").first().waitFor();
    await shot("experiments");

    await page
      .locator("[data-testid=experiments] .vrow.body", { hasText: "dashboard-demo" })
      .click({ timeout: 60_000 });
    await page
      .locator(
        '[data-testid=graph] g.node[data-job="ticker"][data-state="RUNNING"], [data-testid=graph] g.node[data-job="ticker"][data-state="COMPLETED"]',
      )
      .first()
      .waitFor({ timeout: 120_000 })
      .catch(async (e) => {
        await page.screenshot({ path: "/tmp/dashprof/fail.png" });
        throw e;
      });
    await page.locator('[data-testid=graph] g.node[data-job="ticker"]').click();
    await sleep(6000);
    await shot("experiment");

    await page.goto(
      `${server.url}runs?p=alice%2Fvision&pc=lr%2Cseed&mc=train.loss%2Ceval.acc&sort=m%3Aeval.acc&desc=1`,
    );
    await page.waitForFunction(
      `[...document.querySelectorAll('[data-col="m:eval.acc"]')].some((e) => e.textContent)`,
    );
    for (const box of (await page.locator("[data-testid=runs] .vrow.body input[type=checkbox]").all()).slice(
      0,
      4,
    ))
      await box.check();
    await shot("runs");

    await page.getByTestId("compare").click();
    await page.locator('[data-key="train.loss"] [data-ready="1"] canvas').waitFor();
    await page.locator('[data-key="eval.acc"] [data-ready="1"] canvas').waitFor();
    await page.goto(`${page.url()}&sm=0.6`);
    await page.locator('[data-key="train.loss"] [data-ready="1"] canvas').waitFor();
    await sleep(500);
    await shot("compare");

    await page.goto(`${server.url}runs?param=kind%3Dtrain`);
    await page.locator("[data-testid=runs] .vrow.body a").first().click();
    await page.getByTestId("tab-files").click();
    await page.locator('[data-file="curve.png"]').click();
    await page.getByTestId("image-preview").waitFor();
    await shot("run-files");
    await page.getByTestId("tab-charts").click();
    await page.getByTestId("theme").click();
    await page.locator('[data-testid=chart] [data-ready="1"] canvas').first().waitFor();
    await sleep(300);
    await shot("run-dark");
  } finally {
    await close();
    await server.close();
    experiment.kill("SIGINT");
    await new Promise((r) => experiment.once("exit", r));
  }
  console.log(`screenshots written to ${out}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
