import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { artifactsDir, chromiumPath, ensureDashboardBuilt, launchChromium } from "./browser.js";

// `npm start` is a newcomer's first look: the Python quickstart, whose jobs log their loss through Run.current(),
// must fill the status table's metrics and give the dashboard three curves to compare, from the address it prints.
const python = spawnSync("python3", ["-c", "import sys; assert sys.version_info >= (3, 9)"]).status === 0;

describe.skipIf(!python)("the quickstart (npm start)", () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let run: ReturnType<typeof runCli>;
  let id = "";

  beforeAll(() => {
    ensureDashboardBuilt();
    ws = tempWorkspace("quickstart");
    // What `npm start` runs, in a workspace of its own.
    run = runCli(["run", join("examples", "quickstart.py")], { workspace: ws.root });
    id = /Experiment status for (quickstart_\S+)/.exec(run.stdout)?.[1] ?? "";
  }, 150_000);

  afterAll(() => ws?.cleanup());

  it("runs the five jobs and prints where to look next", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(id).not.toBe("");
    expect(run.stderr).toContain(`Experiment ${id} COMPLETED: 5/5 job(s) completed.`);
    expect(run.stdout).toContain("npx labrun ui");
    expect(run.stdout).toContain(`npx labrun experiment status ${id}`);
    expect(run.stdout).toMatch(/http:\/\/127\.0\.0\.1:4500\/runs\/view\?ids=\S+/);
    expect(run.stdout).toContain("best learning rate: 0.01");
  });

  it("shows each training's latest loss in the status table", () => {
    const table = runCli(["experiment", "status", id], { workspace: ws.root });
    for (const lr of ["0.01", "0.003", "0.001"])
      expect(table.stdout).toMatch(
        new RegExp(`train-lr${lr.replace(".", "\\.")} +COMPLETED .* train\\.loss=\\d`),
      );
    const status = runCli(["experiment", "status", id, "--json"], { workspace: ws.root });
    const jobs = (JSON.parse(status.stdout) as { jobs: { name: string; metrics?: Record<string, number> }[] })
      .jobs;
    const loss = (name: string) => jobs.find((job) => job.name === name)?.metrics?.["train.loss"] ?? NaN;
    // The larger learning rate gets further in the same 8 epochs.
    expect(loss("train-lr0.01")).toBeLessThan(loss("train-lr0.003"));
    expect(loss("train-lr0.003")).toBeLessThan(loss("train-lr0.001"));
    expect(jobs.find((job) => job.name === "evaluate")?.metrics?.["eval.best_lr"]).toBe(0.01);
  });

  it.skipIf(!existsSync(chromiumPath))(
    "opens the printed compare address on the three loss curves in the dashboard",
    async () => {
      const ui = startCli(["ui", "--port", "0"], { workspace: ws.root });
      const { browser, close } = await launchChromium();
      try {
        const base = await waitFor(
          "the dashboard's URL",
          () => /http:\/\/\S+\//.exec(ui.output().stdout)?.[0],
        );
        const printed = /http:\/\/127\.0\.0\.1:4500\/(runs\/view\?ids=\S+)/.exec(run.stdout)![1]!;
        const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
        await page.goto(`${base}${printed}`);
        const chart = page.locator('[data-testid=chart][data-key="train.loss"]');
        await chart.locator("[data-ready='1'] canvas").waitFor({ timeout: 20_000 });
        expect(await chart.getByTestId("chart-info").innerText()).toContain("24 of 24 points");
        const compared = await page.getByTestId("compared").innerText();
        for (const lr of ["0.01", "0.003", "0.001"]) expect(compared).toContain(`train-lr${lr}`);
        await page.screenshot({ path: join(artifactsDir, "quickstart-compare.png") });
      } finally {
        await close();
        ui.child.kill("SIGINT");
        await ui.exited;
      }
    },
    60_000,
  );

  it("still runs by hand, outside labrun, tracking nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "labrun-test-quickstart-hand-"));
    try {
      const here = join(repoRoot, "examples", "quickstart");
      const env = { PATH: process.env.PATH ?? "", HOME: dir };
      const prepare = spawnSync("python3", [join(here, "prepare.py")], { cwd: dir, env, encoding: "utf8" });
      expect(prepare.status, prepare.stderr).toBe(0);
      const train = spawnSync(
        "python3",
        [join(here, "train.py"), "--lr=0.01", "--epochs=2", "--data=data.csv"],
        {
          cwd: dir,
          env,
          encoding: "utf8",
        },
      );
      expect(train.status, train.stderr).toBe(0);
      expect(train.stdout).toContain("epoch 2/2 loss=");
      expect(train.stderr).toContain("not launched by labrun");
      expect(existsSync(join(dir, ".labrun"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
