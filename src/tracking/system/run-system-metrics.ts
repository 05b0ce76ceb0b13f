import { SystemSampler } from "./system-sampler.js";
import type { SystemRecord } from "./system-sampler.js";

/**
 * Samples the machine and this process every `intervalMs` into `log` (a run's `system` stream), until the
 * returned function is called. The first point comes after one interval, so that rates have a baseline.
 * Sampling never throws into the program: a failed sample is skipped.
 */
export function startSystemMetrics(
  log: (record: SystemRecord) => void,
  options: { intervalMs: number; diskPath: string },
): () => void {
  const sampler = new SystemSampler({ diskPath: options.diskPath });
  let lastCpu = process.cpuUsage();
  let lastAt = Date.now();
  void sampler.sampleMachine().catch(() => undefined); // baseline
  const timer = setInterval(() => {
    void (async () => {
      const machine = await sampler.sampleMachine();
      const now = Date.now();
      const cpu = process.cpuUsage(lastCpu);
      const seconds = Math.max((now - lastAt) / 1000, 1e-3);
      lastCpu = process.cpuUsage();
      lastAt = now;
      log({
        ...machine,
        proc_cpu_percent: (100 * (cpu.user + cpu.system)) / 1e6 / seconds,
        proc_rss_mb: process.memoryUsage.rss() / 1e6,
      });
    })().catch(() => undefined);
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
