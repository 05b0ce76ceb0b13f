import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server/create-server.js";
import { mountDashboard } from "../../src/server/dashboard/dashboard-app.js";
import { StoreSource } from "../../src/server/dashboard/store-source.js";
import { LocalFileStorage } from "../../src/server/files/local-file-storage.js";
import type { RunningServer } from "../../src/server/listen.js";
import { openServerStore } from "../../src/store/open-store.js";
import type { ServerStore } from "../../src/store/store.js";
import { tempWorkspace } from "../helpers.js";
import { artifactsDir, chromiumPath, ensureDashboardBuilt, launchChromium } from "./browser.js";
import { existsSync } from "node:fs";

// The same web app over the team server's store (SQLite), behind token auth: what `labrun serve` serves.
// A tiny PNG (1×1, red).
const png = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
  "base64",
);

describe.skipIf(!existsSync(chromiumPath))("the dashboard over a server's store, with a token", () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let store: ServerStore;
  let server: RunningServer;
  let secret = "";
  let runId = "";
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const until = (expression: string, timeout = 15_000) =>
    page.waitForFunction(expression, undefined, { timeout });

  beforeAll(async () => {
    ensureDashboardBuilt();
    ws = tempWorkspace("store-dashboard");
    store = await openServerStore(`sqlite:${join(ws.root, "labrun.db")}`);
    const files = new LocalFileStorage(join(ws.root, "files"));
    const app = createServer({ store, authStore: store, files, auth: true });
    mountDashboard(app.app, new StoreSource(store, { files, label: "sqlite test store" }));
    server = await app.listen({ port: 0, host: "127.0.0.1" });
    secret = (await store.createToken({ project: "*" })).secret;
    const run = await store.upsertRun({ prefix: "alice/vision/resnet", tags: ["baseline"] });
    runId = run.id;
    await store.applyBatch(runId, {
      clientId: "test",
      seq: 1,
      params: { lr: 0.01, "model.depth": 50 },
      metrics: [
        {
          stream: "train",
          points: Array.from({ length: 5000 }, (_, i) => ({
            fields: { step: i, loss: 1 / (i + 1) },
            ts: 1_800_000_000 + i,
          })),
        },
      ],
      logs: [
        { level: "info", message: "started", timestamp: "2026-11-23T10:00:00.000Z" },
        { level: "warn", message: "slow data loader", timestamp: "2026-11-23T10:00:01.000Z" },
      ],
    });
    const upload = await fetch(`${server.url}/api/runs/${runId}/files?prefix=plots&filename=dot.png`, {
      method: "PUT",
      headers: { authorization: `Bearer ${secret}`, "content-type": "image/png" },
      body: png,
    });
    expect(upload.status).toBe(200);
    ({ browser, close: closeBrowser } = await launchChromium());
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  }, 60_000);

  afterAll(async () => {
    await closeBrowser?.();
    await server?.close();
    ws?.cleanup();
  });

  it("refuses the API without a token and shows a sign-in form", async () => {
    expect((await fetch(`${server.url}/api/dashboard/runs`)).status).toBe(401);
    await page.goto(`${server.url}/`);
    await page.getByTestId("token").waitFor();
  });

  it("after signing in, lists the store's runs and draws a run's metrics, logs and files", async () => {
    await page.getByTestId("token").fill(secret);
    await page.getByTestId("token").press("Enter");
    // A store holds runs only: the app opens on them and offers no experiments.
    await until(`document.querySelector("[data-testid=count]")?.textContent === "1 of 1"`);
    expect(await page.locator("header nav").innerText()).not.toContain("Experiments");
    await page.locator("[data-testid=runs] .vrow.body a").first().click();
    const chart = page.locator('[data-testid=chart][data-key="train.loss"]');
    await chart.locator("[data-ready='1'] canvas").waitFor();
    const info = await chart.getByTestId("chart-info").innerText();
    expect(info).toMatch(/of 5,000 points \(min\/max per bucket\)/);
    await page.screenshot({ path: join(artifactsDir, "store-run.png") });

    await page.getByTestId("tab-logs").click();
    await page.getByTestId("log-level").selectOption("warn");
    await until(
      `document.querySelector("[data-testid=run-logs]")?.textContent.includes("slow data loader") && !document.querySelector("[data-testid=run-logs]")?.textContent.includes("started")`,
    );

    await page.getByTestId("tab-files").click();
    await page.locator('[data-file="dot.png"]').click();
    await until(`document.querySelector("[data-testid=image-preview]")?.naturalWidth === 1`);
  });

  it("answers a file id the run does not have with the documented 404 error body", async () => {
    const missing = await fetch(`${server.url}/api/dashboard/runs/${runId}/files/no-such-file`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        code: "FILE_NOT_FOUND",
        message: expect.stringContaining("no-such-file"),
        details: { runId, fileId: "no-such-file" },
      },
    });
  });
});
