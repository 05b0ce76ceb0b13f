import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { artifactsDir, chromiumPath, ensureDashboardBuilt, launchChromium } from "./browser.js";

// One real experiment (Python jobs tracking through labrun's client) drives every page: the dashboard is
// served by the real `labrun ui`, looked at by Debian's Chromium.
const fixture = join(repoRoot, "test", "dashboard", "fixtures", "dash-experiment.ts");
const canRun = existsSync(chromiumPath);

describe.skipIf(!canRun)("the web dashboard (labrun ui) in Chromium", () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let tickerGate = "";
  let experiment: ReturnType<typeof startCli>;
  let ui: ReturnType<typeof startCli>;
  let url = "";
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let experimentId = "";

  // Browser-side conditions are strings: this file is type-checked without the DOM's types.
  const until = (expression: string, timeout = 30_000) =>
    page.waitForFunction(expression, undefined, { timeout });
  const shot = (name: string) =>
    page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    ensureDashboardBuilt();
    ws = tempWorkspace("dashboard");
    // The ticker waits for this file before it ticks, so the test sees it RUNNING however slow the machine.
    tickerGate = join(ws.root, "ticker-go");
    experiment = startCli(["run", fixture], {
      workspace: ws.root,
      env: { TICKS: "15", TICKER_GATE: tickerGate },
    });
    ui = startCli(["ui", "--port", "0"], { workspace: ws.root });
    url = await waitFor("the dashboard's URL", () => /http:\/\/\S+/.exec(ui.output().stdout)?.[0], 20_000);
    experimentId = await waitFor(
      "the experiment to be listed",
      () => {
        const r = runCli(["experiments", "list", "--json"], { workspace: ws.root });
        return r.code === 0 ? (JSON.parse(r.stdout) as { id: string }[])[0]?.id : undefined;
      },
      30_000,
    );
    ({ browser, close: closeBrowser } = await launchChromium());
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  }, 90_000);

  afterAll(async () => {
    await closeBrowser?.();
    ui?.child.kill("SIGINT");
    experiment?.child.kill("SIGINT");
    await Promise.all([ui?.exited, experiment?.exited]);
    ws?.cleanup();
  }, 30_000);

  it("lists the experiment with its host, git commit and job counts, and filters by title and state", async () => {
    await page.goto(url);
    const row = page.locator(`[data-testid=experiments] [data-row="${experimentId}"]`);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain("dashboard-demo");
    expect(text).toMatch(/\/5/);
    expect(await page.getByTestId("count").innerText()).toBe("1 of 1");
    await page.getByTestId("search").fill("no-such-title");
    await until(`document.querySelector("[data-testid=count]")?.textContent === "0 of 1"`);
    expect(page.url()).toContain("q=no-such-title");
    await page.getByTestId("search").fill("");
    await page.getByTestId("state-filter").selectOption("RUNNING");
    await row.waitFor();
    await shot("experiments");
  });

  it("shows the jobs and the dependency graph, and follows a job's output live until it completes", async () => {
    await page.locator(`[data-row="${experimentId}"]`).click();
    await page.getByTestId("graph").waitFor();
    expect(await page.locator("[data-testid=graph] g.node").count()).toBe(5);
    const edges = await page.locator("[data-testid=graph] path.edge").count();
    expect(edges).toBe(5); // prepare→2 trains, 2 trains→ticker, prepare→sleeper
    const jobsText = await page.getByTestId("jobs").innerText();
    for (const name of ["prepare", "train-lr0.3", "train-lr0.05", "ticker", "sleeper"])
      expect(jobsText).toContain(name);
    expect(jobsText).toContain("dash_job.py");
    expect(jobsText).toContain("local");

    await page.locator('[data-testid=graph] g.node[data-job="ticker"]').click();
    expect(page.url()).toContain("job=ticker");
    // The ticker starts after prepare and both trainings (slow on a busy machine): the graph shows it start.
    await page
      .locator('[data-testid=graph] g.node[data-job="ticker"][data-state="RUNNING"]')
      .waitFor({ timeout: 90_000 });
    writeFileSync(tickerGate, "");
    // The ticker prints a line every 0.4 s: the panel shows lines as they come, then the job's end.
    await until(
      `/tick \\d+\\/15/.test(document.querySelector("[data-testid=log-lines]")?.textContent ?? "")`,
      30_000,
    );
    const early = await page.getByTestId("log-lines").innerText();
    await until(
      `(document.querySelector("[data-testid=log-lines]")?.textContent ?? "").includes("ticker finished")`,
      30_000,
    );
    expect(early).not.toContain("ticker finished");
    await page
      .locator('[data-testid=graph] g.node[data-job="ticker"][data-state="COMPLETED"]')
      .waitFor({ timeout: 15_000 });
    const lines = await page.getByTestId("log-lines").innerText();
    expect(lines).toContain("tick 15/15");
    expect(lines).toContain("warning at tick 3"); // stderr too
    await shot("experiment");

    await page.getByTestId("log-regex").fill("^tick 1\\d");
    await page.getByTestId("log-regex").press("Enter");
    await until(
      `!(document.querySelector("[data-testid=log-lines]")?.textContent ?? "").includes("tick 9/")`,
    );
    await until(
      `(document.querySelector("[data-testid=log-lines]")?.textContent ?? "").includes("tick 15/15")`,
    );
    const filtered = (await page.getByTestId("log-lines").innerText()).split("\n").filter(Boolean);
    expect(filtered.every((line) => /^tick 1\d\//.test(line))).toBe(true);
  }, 150_000);

  it("cancels a job after confirmation, and the page shows it cancelled", async () => {
    await page.getByTestId("cancel-sleeper").click();
    await page.getByRole("dialog").waitFor();
    await page.getByTestId("confirm").click();
    await page
      .locator('[data-testid=graph] g.node[data-job="sleeper"][data-state="CANCELLED"]')
      .waitFor({ timeout: 20_000 });
    const status = runCli(["experiment", "status", experimentId, "--json"], { workspace: ws.root });
    const jobs = (JSON.parse(status.stdout) as { jobs: { name: string; state: string }[] }).jobs;
    expect(jobs.find((j) => j.name === "sleeper")?.state).toBe("CANCELLED");
    expect(await experiment.exited).not.toBeNull();
    await shot("experiment-cancelled");
  });

  it("lists runs as a prefix tree, filters by parameter and compares two runs", async () => {
    await page.goto(`${url}runs`);
    await page.getByTestId("prefix-tree").waitFor();
    await until(`document.querySelector("[data-testid=count]")?.textContent === "5 of 5"`);
    expect(await page.getByTestId("prefix-tree").innerText()).toContain("dashboard-demo");
    await page.getByTestId("param-filter").fill("kind=train");
    await until(`document.querySelector("[data-testid=count]")?.textContent === "2 of 5"`);
    // A prefix too long for its cell is cut in its shared beginning; the job's name stays whole and in view.
    const names = (await page.evaluate(`[...document.querySelectorAll(
      "[data-testid=runs] .vrow.body [data-col=prefix]")].map((cell) => {
        const link = cell.querySelector("a.run-name"), head = link.children[0], tail = link.children[1];
        return { title: link.title, text: link.textContent, tail: tail.textContent,
          headCut: head.scrollWidth > head.clientWidth + 1,
          tailInView: tail.scrollWidth <= tail.clientWidth + 1 &&
            tail.getBoundingClientRect().right <= cell.getBoundingClientRect().right + 0.5 };
      })`)) as { title: string; text: string; tail: string; headCut: boolean; tailInView: boolean }[];
    expect(names.map((n) => n.tail).sort()).toEqual(["/train-lr0.05", "/train-lr0.3"]);
    for (const n of names) {
      expect(n.title).toMatch(/\/dashboard-demo\/dashboard-demo_[^/]+\/train-lr0\.(3|05)$/);
      expect(n.text).toBe(n.title);
      expect(n).toMatchObject({ headCut: true, tailInView: true });
    }
    await page.getByTestId("add-param").fill("lr");
    await page.getByTestId("add-param").press("Enter");
    await page.getByTestId("add-metric").fill("train.loss");
    await page.getByTestId("add-metric").press("Enter");
    await until(
      `[...document.querySelectorAll('[data-testid=runs] [data-col="m:train.loss"]')].map((e) => e.textContent).filter((t) => /^-?\\d/.test(t)).length === 2`,
    );
    const lrs = await page.locator('[data-testid=runs] [data-col="p:lr"]').allInnerTexts();
    expect(lrs.sort()).toEqual(["0.05", "0.3"]);
    const losses = (await page.locator('[data-testid=runs] [data-col="m:train.loss"]').allInnerTexts()).map(
      Number,
    );
    expect(losses.every((v) => Number.isFinite(v) && v < 2)).toBe(true);
    // Sorting by the metric column puts the lower loss (lr 0.3) first.
    await page.locator(".vrow.head > div", { hasText: "train.loss" }).click();
    await until(`document.querySelector(".vrow.head")?.textContent?.includes("train.loss ▲")`);
    expect(await page.locator('[data-testid=runs] .vrow.body [data-col="p:lr"]').first().innerText()).toBe(
      "0.3",
    );
    for (const box of await page.locator("[data-testid=runs] .vrow.body input[type=checkbox]").all())
      await box.check();
    expect(await page.getByTestId("compare").innerText()).toBe("Compare 2 runs");
    await shot("runs");

    await page.getByTestId("compare").click();
    const loss = page.locator('[data-testid=chart][data-key="train.loss"]');
    await loss.locator("[data-ready='1'] canvas").waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("compared").innerText()).toMatch(
      /train-lr0\.3[\s\S]*train-lr0\.05|train-lr0\.05[\s\S]*train-lr0\.3/,
    );
    expect(await loss.getByTestId("chart-info").innerText()).toContain("600 of 600 points");
    // Zoom: drag across the chart; the server sends the new range, and the URL keeps it.
    const over = loss.locator(".u-over");
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await until(`new URL(location.href).searchParams.has("z")`);
    await until(`(() => {
      const text = document.querySelector('[data-key="train.loss"] [data-testid=chart-info]')?.textContent ?? "";
      const shown = Number(/^([\\d,]+) of/.exec(text)?.[1]?.replace(/,/g, ""));
      return shown > 0 && shown < 400;
    })()`);
    await shot("compare");

    await page.getByTestId("tab-params").click();
    const lrRow = page.locator("[data-testid=params] tr", { hasText: /^lr/ });
    expect(await lrRow.getAttribute("data-differs")).toBe("1");
    await page.getByTestId("only-diff").check();
    const keys = await page.locator("[data-testid=params] tbody tr td:first-child").allInnerTexts();
    expect(keys).toContain("lr");
    expect(keys).not.toContain("seed");
    await shot("compare-params");
  }, 90_000);

  it("shows one run's logs by level and previews its files", async () => {
    await page.goto(`${url}runs?param=lr%3D0.3`);
    await page.locator("[data-testid=runs] .vrow.body a").first().click();
    await page.locator("[data-testid=chart] [data-ready='1'] canvas").first().waitFor({ timeout: 20_000 });
    await shot("run");
    await page.getByTestId("theme").click();
    expect(await page.evaluate("document.documentElement.dataset.theme")).toBe("dark");
    await page.locator("[data-testid=chart] [data-ready='1'] canvas").first().waitFor();
    await shot("run-dark");
    await page.getByTestId("theme").click();
    await page.getByTestId("tab-logs").click();
    await page.locator("[data-testid=run-logs] [data-level]").first().waitFor();
    const levels = await page
      .locator("[data-testid=run-logs] [data-level]")
      .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { level: string } }).dataset.level));
    expect(levels).toContain("debug");
    await page.getByTestId("log-level").selectOption("warn");
    await until(
      `[...document.querySelectorAll("[data-testid=run-logs] [data-level]")].every((e) => e.getAttribute("data-level") === "warn")`,
    );
    expect(await page.getByTestId("run-logs").innerText()).toContain("loss plateaued");

    await page.getByTestId("tab-files").click();
    await page.locator('[data-file="curve.png"]').click();
    const image = page.getByTestId("image-preview");
    await image.waitFor();
    await until(`document.querySelector("[data-testid=image-preview]")?.naturalWidth === 96`);
    await shot("run-files");
    await page.locator('[data-file="model.json"]').click();
    await until(
      `(document.querySelector("[data-testid=text-preview]")?.textContent ?? "").includes('"lr": 0.3')`,
    );
    const href = await page.locator('[data-file="model.json"] a').getAttribute("href");
    const download = await fetch(new URL(href!, url));
    expect(download.headers.get("content-disposition")).toContain("attachment");
    expect(await download.text()).toContain('"lr": 0.3');
  });

  it("answers unknown experiments and runs with the error's code", async () => {
    const missing = await fetch(`${url}api/dashboard/experiments/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("EXPERIMENT_NOT_FOUND");
    const outside = await fetch(`${url}api/dashboard/runs/${encodeURIComponent("../../etc")}`);
    expect(outside.status).toBe(404);
  });
});
