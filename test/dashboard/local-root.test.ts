import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { chromiumPath, ensureDashboardBuilt, launchChromium } from "./browser.js";

// An ML-Dash root written by the real ML-Dash 0.11 client in local mode (`dash_root=DIR`), opened by
// `labrun ui --root DIR` (or $LABRUN_RUNS) and `labrun runs show`.
const python = resolve(import.meta.dirname, "../../.venv-compat/bin/python");
const ws = tempWorkspace("local-root");
const root = join(ws.root, "dash");
const prefix = "carol/vision/sweep/run-1";
afterAll(() => ws.cleanup());

beforeAll(() => {
  ensureBuilt();
  ensureDashboardBuilt();
  if (!existsSync(python))
    throw new Error(`${python} is missing: run \`node scripts/ensure-ml-dash-venv.mjs\` (npm test does).`);
  const script = join(ws.root, "write.py");
  writeFileSync(
    script,
    `from ml_dash import Experiment
with Experiment(prefix=${JSON.stringify(prefix)}, dash_root=${JSON.stringify(root)}, tags=["py"]).run as exp:
    exp.params.set(lr=0.1)
    exp.log("epoch done", level="warn", epoch=3, loss=0.25)
    for i in range(3):
        exp.metrics("val.loss").log(value=1.0 / (i + 1), step=i)
    exp.metrics("train").log(loss=0.5, step=0)
    exp.metrics.log(epoch=1)
    exp.tracks("robot/pos").append(x=1.5, _ts=2.0)
`,
  );
  const result = spawnSync(python, [script], { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`write.py failed:\n${result.stdout}\n${result.stderr}`);
});

async function withUi<T>(
  args: readonly string[],
  env: Record<string, string>,
  body: (url: string) => Promise<T>,
): Promise<T> {
  const ui = startCli(["ui", "--port", "0", ...args], { workspace: ws.root, env });
  try {
    const url = await waitFor(
      "the URL",
      () => /http:\/\/127\.0\.0\.1:\d+\//.exec(ui.output().stdout)?.[0],
      20_000,
    );
    return await body(url);
  } finally {
    ui.child.kill("SIGINT");
    await ui.exited;
  }
}

const api = async (url: string, path: string, init?: RequestInit): Promise<any> => {
  const response = await fetch(`${url}api/dashboard${path}`, init);
  expect(response.status).toBe(200);
  return response.json();
};

describe("labrun ui over an ML-Dash root", () => {
  it("--root lists the root's runs with every stream (dots kept, the unnamed one as None)", async () => {
    await withUi(["--root", root], {}, async (url) => {
      expect(await api(url, "/info")).toMatchObject({ label: root, capabilities: { experiments: false } });
      const { runs } = await api(url, "/runs");
      expect(runs.map((r: any) => [r.id, r.prefix, r.status])).toEqual([[prefix, prefix, "UNKNOWN"]]);
      expect(runs[0].streams).toEqual(["None", "track.robot_pos", "train", "val.loss"]);
      const { run } = await api(url, `/runs/${encodeURIComponent(prefix)}`);
      expect(run.params).toEqual({ lr: 0.1 });
      expect(run.metrics.find((m: any) => m.name === "val.loss")).toMatchObject({
        points: 3,
        latest: { value: 1 / 3, step: 2 },
      });
      const { latest } = await api(url, "/runs-latest", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ids: [prefix], keys: ["val.loss.value", "train.loss", "None.epoch"] }),
      });
      expect(latest).toEqual({ [prefix]: { "val.loss.value": 1 / 3, "train.loss": 0.5, "None.epoch": 1 } });
      const chart = await api(
        url,
        `/runs/${encodeURIComponent(prefix)}/metrics/val.loss?field=value&by=step`,
      );
      expect(chart).toMatchObject({ x: [0, 1, 2], y: [1, 0.5, 1 / 3] });
      const track = await api(
        url,
        `/runs/${encodeURIComponent(prefix)}/metrics/track.robot_pos?field=x&by=ts`,
      );
      expect(track).toMatchObject({ x: [2], y: [1.5] });
      const logs = await api(url, `/runs/${encodeURIComponent(prefix)}/logs`);
      expect(logs.logs).toEqual([
        expect.objectContaining({ level: "warn", message: "epoch done", metadata: { epoch: 3, loss: 0.25 } }),
      ]);
    });
  });

  it("$LABRUN_RUNS opens the same root when neither --root nor --workspace is given", async () => {
    await withUi([], { LABRUN_RUNS: root }, async (url) => {
      const { runs } = await api(url, "/runs");
      expect(runs.map((r: any) => r.prefix)).toEqual([prefix]);
    });
  });
});

describe.skipIf(!existsSync(chromiumPath))("the dashboard of an ML-Dash root in Chromium", () => {
  it("draws the run's streams (val.loss, the track) and shows its logs with their metadata", async () => {
    await withUi(["--root", root], {}, async (url) => {
      const { browser, close } = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
        await page.goto(`${url}runs/view?ids=${encodeURIComponent(prefix)}`);
        await page
          .locator("[data-testid=chart] [data-ready='1'] canvas")
          .first()
          .waitFor({ timeout: 20_000 });
        const keys = await page
          .locator("[data-testid=chart]")
          .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { key: string } }).dataset.key));
        expect(keys).toEqual(expect.arrayContaining(["val.loss.value", "track.robot_pos.x", "None.epoch"]));
        await page.getByTestId("tab-logs").click();
        await page.getByTestId("log-metadata").first().waitFor({ timeout: 10_000 });
        expect(await page.getByTestId("run-logs").innerText()).toContain("epoch done epoch=3 loss=0.25");
      } finally {
        await close();
      }
    });
  });
});

describe("labrun runs show over an ML-Dash root", () => {
  it("shows the unnamed stream as None, and with --logs and --tracks the logs' metadata and the tracks", () => {
    const plain = runCli(["runs", "show", prefix, "--root", root], { workspace: ws.root });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^ *None +1 /m);
    expect(plain.stdout).toMatch(/^ *val\.loss +3 /m);
    expect(plain.stdout).not.toContain("epoch done");

    const full = runCli(["runs", "show", prefix, "--root", root, "--logs", "--tracks"], {
      workspace: ws.root,
    });
    expect(full.code).toBe(0);
    expect(full.stdout).toContain("epoch done");
    expect(full.stdout).toContain('{"epoch":3,"loss":0.25}');
    expect(full.stdout).toMatch(/robot\/pos +1 /);

    const json = JSON.parse(
      runCli(["runs", "show", prefix, "--root", root, "--logs", "--tracks", "--json"], { workspace: ws.root })
        .stdout,
    );
    expect(json.logs).toEqual([
      expect.objectContaining({ level: "warn", message: "epoch done", metadata: { epoch: 3, loss: 0.25 } }),
    ]);
    expect(json.tracks).toEqual([{ topic: "robot/pos", entries: 1, last: { timestamp: 2, x: 1.5 } }]);
    expect(json.metrics.map((m: any) => m.name)).toEqual(["None", "train", "val.loss"]);

    const points = runCli(["runs", "metrics", prefix, "None", "--root", root, "--json"], {
      workspace: ws.root,
    });
    expect(points.code).toBe(0);
    expect(JSON.parse(points.stdout).points[0].data).toMatchObject({ epoch: 1 });
  });
});
