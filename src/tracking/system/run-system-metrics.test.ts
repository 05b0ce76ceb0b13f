import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { Run } from "../run.js";

const root = mkdtempSync(join(tmpdir(), "labrun-system-"));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("a run that asks for system metrics", () => {
  it("gets points in its system stream while it is open, and none after", async () => {
    const run = new Run({
      prefix: "alice/sys/run",
      root,
      systemMetrics: { intervalMs: 150 },
      flushIntervalMs: 50,
    });
    await sleep(700);
    await run.complete();
    const reader = Run.open("alice/sys/run", { root });
    const { points } = await reader.metrics("system").read();
    expect(points.length).toBeGreaterThanOrEqual(2);
    for (const field of [
      "cpu_percent",
      "mem_used_mb",
      "mem_percent",
      "net_rx_mb_s",
      "disk_used_percent",
      "proc_cpu_percent",
      "proc_rss_mb",
    ])
      expect(points[0]!.data).toHaveProperty(field);
    expect(points[0]!.data.proc_rss_mb as number).toBeGreaterThan(10);
    await sleep(400);
    expect((await reader.metrics("system").read()).points).toHaveLength(points.length);
  });

  it("does not sample unless asked", async () => {
    const run = new Run({ prefix: "alice/sys/quiet", root });
    await sleep(300);
    await run.complete();
    expect(Run.open("alice/sys/quiet", { root }).metrics.list()).toEqual([]);
  });
});
