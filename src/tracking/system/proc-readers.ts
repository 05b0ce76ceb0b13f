import { readdirSync, readFileSync, statfsSync } from "node:fs";

/** Raw counters read from /proc; a sample is the difference of two readings. */
export interface MachineCounters {
  readonly at: number;
  readonly cpuBusy: number;
  readonly cpuTotal: number;
  readonly memTotalBytes: number;
  readonly memAvailableBytes: number;
  readonly diskReadBytes: number;
  readonly diskWriteBytes: number;
  readonly netRxBytes: number;
  readonly netTxBytes: number;
}

export function readMachineCounters(): MachineCounters {
  const [cpuLine] = readText("/proc/stat").split("\n");
  const cpu = (cpuLine ?? "").trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle + iowait is "not busy".
  const cpuTotal = cpu.slice(0, 8).reduce((sum, v) => sum + (v || 0), 0);
  const cpuBusy = cpuTotal - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  const meminfo = Object.fromEntries(
    readText("/proc/meminfo")
      .split("\n")
      .map((line) => line.split(/:\s+/))
      .filter((parts) => parts.length === 2)
      .map(([key, value]) => [key, Number.parseInt(value!, 10) * 1024]),
  ) as Record<string, number>;
  let diskReadBytes = 0;
  let diskWriteBytes = 0;
  for (const line of readText("/proc/diskstats").split("\n")) {
    const fields = line.trim().split(/\s+/);
    const name = fields[2] ?? "";
    // Whole physical disks only (partitions and loop/ram devices would count the same bytes twice).
    if (!/^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+|hd[a-z]+)$/.test(name)) continue;
    diskReadBytes += Number(fields[5]) * 512;
    diskWriteBytes += Number(fields[9]) * 512;
  }
  let netRxBytes = 0;
  let netTxBytes = 0;
  for (const line of readText("/proc/net/dev").split("\n").slice(2)) {
    const [name, rest] = line.split(":");
    if (!rest || name?.trim() === "lo") continue;
    const fields = rest.trim().split(/\s+/).map(Number);
    netRxBytes += fields[0] ?? 0;
    netTxBytes += fields[8] ?? 0;
  }
  return {
    at: Date.now(),
    cpuBusy,
    cpuTotal,
    memTotalBytes: meminfo.MemTotal ?? 0,
    memAvailableBytes: meminfo.MemAvailable ?? 0,
    diskReadBytes,
    diskWriteBytes,
    netRxBytes,
    netTxBytes,
  };
}

/** CPU time (clock ticks) and resident memory of every live process in a process group. */
export function readProcessGroup(pgid: number): { cpuTicks: number; rssBytes: number; processes: number } {
  const pageSize = 4096;
  let cpuTicks = 0;
  let rssBytes = 0;
  let processes = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // ended while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid || fields[0] === "Z") continue;
    processes++;
    cpuTicks += Number(fields[11]) + Number(fields[12]); // utime + stime
    rssBytes += Number(fields[21]) * pageSize;
  }
  return { cpuTicks, rssBytes, processes };
}

/** Share of the file system holding `path` that is used, in %. */
export function diskUsedPercent(path: string): number | undefined {
  try {
    const fs = statfsSync(path);
    return fs.blocks > 0 ? (100 * (fs.blocks - fs.bfree)) / fs.blocks : undefined;
  } catch {
    return undefined;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
