import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
  readonly startTicks: string;
}

function readStat(pid: number | string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, pgrp: Number(fields[2]), startTicks: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); guards against pid reuse. */
export function processStartTicks(pid: number): string | undefined {
  return readStat(pid)?.startTicks;
}

// A zombie has ended; it only waits for a parent to reap it (which, for orphans in containers, may never happen).
const isDead = (state: string) => state === "Z" || state === "X";

/** True when `pid` runs and, if `startTicks` is given, is the same process that had it then. */
export function isProcessAlive(pid: number, startTicks?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = readStat(pid);
  if (!stat) return true; // no /proc here: trust kill(0)
  if (isDead(stat.state)) return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/** True while a process of the group runs (zombies do not count). */
export function processGroupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  return entries.some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const stat = readStat(entry);
    return stat !== undefined && stat.pgrp === pgid && !isDead(stat.state);
  });
}

/**
 * Terminates a whole process group: SIGTERM, then SIGKILL to whatever is left after `graceMs`.
 * Resolves when no process of the group remains.
 */
export async function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (processGroupExists(pgid)) {
    if (Date.now() >= deadline) {
      signalGroup(pgid, "SIGKILL");
      for (let i = 0; i < 200 && processGroupExists(pgid); i++) await sleep(10);
      return;
    }
    await sleep(20);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
