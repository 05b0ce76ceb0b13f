import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { chromium, type Browser } from "playwright-core";
import { ensureBuilt, repoRoot } from "../helpers.js";

export const chromiumPath = "/usr/bin/chromium";
export const artifactsDir = join(repoRoot, "test-artifacts", "dashboard");

/**
 * Debian's Chromium, headless, and nothing that phones home. Playwright gives every launch a fresh
 * temporary profile (its own --user-data-dir), removed on close.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** dist/ with the built web app (npm test builds both; a bare `vitest run` may not have). */
export function ensureDashboardBuilt(): void {
  ensureBuilt();
  if (!existsSync(join(repoRoot, "dist", "web", "index.html")))
    spawnSync("npm", ["run", "build:web"], { cwd: repoRoot, stdio: "inherit" });
  mkdirSync(artifactsDir, { recursive: true });
}
