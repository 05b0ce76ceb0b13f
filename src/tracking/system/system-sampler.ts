import { diskUsedPercent, readMachineCounters, readProcessGroup } from "./proc-readers.js";
import type { MachineCounters } from "./proc-readers.js";
import { readGpus } from "./gpu-reader.js";

/** One record of the `system` metric stream. Rates are per second over the interval since the last sample. */
export type SystemRecord = Record<string, number>;

const clockTicksPerSecond = 100; // USER_HZ on Linux

/**
 * Samples the machine (CPU, memory, disk, network, GPUs) and, optionally, the process groups of running
 * jobs. The first call of `sample` only sets the baseline for rates; later calls return full records.
 */
export class SystemSampler {
  readonly #diskPath: string;
  #last: MachineCounters | undefined;
  readonly #lastGroups = new Map<number, { at: number; cpuTicks: number }>();

  constructor(options: { diskPath?: string } = {}) {
    this.#diskPath = options.diskPath ?? process.cwd();
  }

  /** Machine-wide fields (names are stable: they become metric fields). */
  async sampleMachine(): Promise<SystemRecord> {
    const now = readMachineCounters();
    const last = this.#last;
    this.#last = now;
    const seconds = last ? Math.max((now.at - last.at) / 1000, 1e-3) : undefined;
    const rate = (a: number, b: number) => (seconds === undefined ? 0 : Math.max(0, a - b) / seconds / 1e6);
    const record: SystemRecord = {
      cpu_percent:
        last && now.cpuTotal > last.cpuTotal
          ? (100 * (now.cpuBusy - last.cpuBusy)) / (now.cpuTotal - last.cpuTotal)
          : 0,
      mem_used_mb: (now.memTotalBytes - now.memAvailableBytes) / 1e6,
      mem_percent:
        now.memTotalBytes > 0 ? (100 * (now.memTotalBytes - now.memAvailableBytes)) / now.memTotalBytes : 0,
      disk_read_mb_s: rate(now.diskReadBytes, last?.diskReadBytes ?? now.diskReadBytes),
      disk_write_mb_s: rate(now.diskWriteBytes, last?.diskWriteBytes ?? now.diskWriteBytes),
      net_rx_mb_s: rate(now.netRxBytes, last?.netRxBytes ?? now.netRxBytes),
      net_tx_mb_s: rate(now.netTxBytes, last?.netTxBytes ?? now.netTxBytes),
    };
    const used = diskUsedPercent(this.#diskPath);
    if (used !== undefined) record.disk_used_percent = used;
    for (const gpu of await readGpus()) {
      record[`gpu${gpu.index}_util_percent`] = gpu.utilizationPercent;
      record[`gpu${gpu.index}_mem_used_mb`] = gpu.memoryUsedMb;
      record[`gpu${gpu.index}_mem_percent`] =
        gpu.memoryTotalMb > 0 ? (100 * gpu.memoryUsedMb) / gpu.memoryTotalMb : 0;
    }
    return record;
  }

  /** CPU % (of one core) and resident memory of a job's process group. */
  sampleProcessGroup(pgid: number): SystemRecord {
    const now = { at: Date.now(), ...readProcessGroup(pgid) };
    const last = this.#lastGroups.get(pgid);
    this.#lastGroups.set(pgid, { at: now.at, cpuTicks: now.cpuTicks });
    const seconds = last ? Math.max((now.at - last.at) / 1000, 1e-3) : undefined;
    return {
      proc_cpu_percent:
        last && seconds
          ? (100 * Math.max(0, now.cpuTicks - last.cpuTicks)) / clockTicksPerSecond / seconds
          : 0,
      proc_rss_mb: now.rssBytes / 1e6,
      proc_count: now.processes,
    };
  }

  forget(pgid: number): void {
    this.#lastGroups.delete(pgid);
  }
}
