import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { parseNvidiaSmi } from "./gpu-reader.js";
import { SystemSampler } from "./system-sampler.js";

describe("SystemSampler", () => {
  it("reports machine CPU, memory, disk and network with rates after the first sample", async () => {
    const sampler = new SystemSampler();
    await sampler.sampleMachine();
    const busy = Date.now() + 300;
    while (Date.now() < busy); // load one core so cpu_percent is visibly above zero
    const record = await sampler.sampleMachine();
    expect(record.cpu_percent).toBeGreaterThan(10);
    expect(record.cpu_percent).toBeLessThanOrEqual(100);
    expect(record.mem_used_mb).toBeGreaterThan(10);
    expect(record.mem_percent).toBeGreaterThan(0);
    expect(record.disk_used_percent).toBeGreaterThan(0);
    for (const key of ["disk_read_mb_s", "disk_write_mb_s", "net_rx_mb_s", "net_tx_mb_s"])
      expect(record[key]).toBeGreaterThanOrEqual(0);
  });

  it("measures the CPU and memory of a job's whole process group", async () => {
    // A busy child and grandchild in their own process group.
    const child = spawn("bash", ["-c", "bash -c 'while :; do :; done' & while :; do :; done"], {
      detached: true,
      stdio: "ignore",
    });
    try {
      const sampler = new SystemSampler();
      await sleep(200);
      sampler.sampleProcessGroup(child.pid!);
      await sleep(1000);
      const record = sampler.sampleProcessGroup(child.pid!);
      expect(record.proc_count).toBe(2);
      // Two busy loops use up to 200% of a core; on a loaded test machine they get less, but far from none.
      expect(record.proc_cpu_percent).toBeGreaterThan(20);
      expect(record.proc_rss_mb).toBeGreaterThan(1);
    } finally {
      process.kill(-child.pid!, "SIGKILL");
    }
  });

  it("parses nvidia-smi's CSV output per GPU", () => {
    expect(parseNvidiaSmi("0, 87, 10240, 40960\n1, 3, 512, 40960\n")).toEqual([
      { index: 0, utilizationPercent: 87, memoryUsedMb: 10240, memoryTotalMb: 40960 },
      { index: 1, utilizationPercent: 3, memoryUsedMb: 512, memoryTotalMb: 40960 },
    ]);
    expect(parseNvidiaSmi("No devices were found\n")).toEqual([]);
  });
});
