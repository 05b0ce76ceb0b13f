import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { isProcessAlive, processStartTicks } from "../util/process-probe.js";

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startTicks?: string;
  readonly since: string;
}

/**
 * A lock file held by one live process: written in full under a temporary name and hard-linked into
 * place, so it never exists half-written. A lock left by a process that died (SIGKILL, reboot) is taken over.
 * Held by a process on another host, it counts as live (its pid cannot be checked from here).
 */
export class ProcessLock {
  readonly file: string;
  #held = false;

  constructor(file: string) {
    this.file = file;
  }

  get held(): boolean {
    return this.#held;
  }

  /** The live holder, if any (not this process). */
  holder(): LockHolder | undefined {
    const holder = this.#read();
    if (!holder) return undefined;
    if (holder.host === hostname() && !isProcessAlive(holder.pid, holder.startTicks)) return undefined;
    return holder;
  }

  /** Takes the lock; returns the live holder instead when another process has it. */
  tryAcquire(): LockHolder | undefined {
    for (let attempt = 0; attempt < 3; attempt++) {
      const holder: LockHolder = {
        pid: process.pid,
        host: hostname(),
        ...(processStartTicks(process.pid) ? { startTicks: processStartTicks(process.pid)! } : {}),
        since: new Date().toISOString(),
      };
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(holder));
      try {
        linkSync(temp, this.file);
        this.#held = true;
        return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const live = this.holder();
        if (live && live.pid === process.pid && live.host === hostname()) {
          this.#held = true;
          return undefined;
        }
        if (live) return live;
        rmSync(this.file, { force: true }); // stale: its holder is dead
      } finally {
        rmSync(temp, { force: true });
      }
    }
    return this.#read() ?? { pid: 0, host: "unknown", since: "" };
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    const holder = this.#read();
    if (holder?.pid === process.pid && holder.host === hostname()) rmSync(this.file, { force: true });
  }

  #read(): LockHolder | undefined {
    try {
      return JSON.parse(readFileSync(this.file, "utf8")) as LockHolder;
    } catch {
      return undefined;
    }
  }
}
