// How busy the whole machine is, for benchmarks that report the load other processes put on it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Kernel clock ticks per second (the unit of /proc/stat and /proc/<pid>/stat times). */
export const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy CPU time of the whole machine (all CPUs, idle and iowait excluded), ms, from /proc/stat; NaN if unknown. */
export function machineBusyMs(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8")
      .split("\n", 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return ((user + nice + system + irq + softirq + steal) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

/** CPU time of this process's reaped children (and theirs), ms, from /proc/self/stat (cutime + cstime). */
export function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  return ((fields[13]! + fields[14]!) * 1000) / clockTicks;
}
