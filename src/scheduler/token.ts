import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ExperimentStateError } from "../errors.js";
import { readJobOutcome } from "../executors/job-files.js";
import { isProcessAlive } from "../util/process-probe.js";
import { safeSegment } from "../util/safe-segment.js";

/**
 * A concurrency token shared by every experiment of a workspace (experimaestro's counter token): at most
 * `capacity` units are held at once by running jobs, whatever process launched them.
 *
 * @example
 * const gpu = new Token("gpu", 2);
 * exp.add(train, { tokens: [gpu] });            // one unit
 * exp.add(bigTrain, { tokens: [gpu.dependency(2)] });
 */
export class Token {
  readonly name: string;
  readonly capacity: number;

  constructor(name: string, capacity: number) {
    if (!name.trim()) throw new ExperimentStateError("A token needs a name.");
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ExperimentStateError(
        `Token "${name}" needs a capacity that is a whole number ≥ 1, got ${capacity}.`,
      );
    this.name = name;
    this.capacity = capacity;
    Object.freeze(this);
  }

  /** A need for `count` units of this token. */
  dependency(count = 1): TokenNeed {
    if (!Number.isInteger(count) || count < 1 || count > this.capacity)
      throw new ExperimentStateError(
        `A job can hold 1 to ${this.capacity} units of token "${this.name}", not ${count}.`,
      );
    return { name: this.name, capacity: this.capacity, count };
  }
}

export interface TokenNeed {
  readonly name: string;
  readonly capacity: number;
  readonly count: number;
}

interface SlotHolder {
  readonly jobDir: string;
  readonly job: string;
  readonly experimentId: string;
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * Token units on disk: `<workspace>/tokens/<name>/slot-<i>`, one file per unit held, naming the job that
 * holds it. A unit is taken by hard-linking a complete file into place (atomic, fails if taken) and given
 * back when the job ends; a unit whose job has ended or never started under a dead driver is stale and taken over.
 */
export class TokenSlots {
  readonly #dir: string;

  constructor(tokensDir: string) {
    this.#dir = tokensDir;
  }

  /** Takes every unit the job needs, or none; returns a reason when it has to wait. */
  acquire(
    needs: readonly TokenNeed[],
    holder: Omit<SlotHolder, "pid" | "host" | "since">,
  ): string | undefined {
    const taken: string[] = [];
    for (const need of needs) {
      const dir = join(this.#dir, safeSegment(need.name));
      mkdirSync(dir, { recursive: true });
      let got = this.#held(dir, holder.jobDir).length;
      for (let slot = 0; slot < need.capacity && got < need.count; slot++) {
        const file = join(dir, `slot-${slot}`);
        if (this.#take(file, holder)) {
          taken.push(file);
          got++;
        }
      }
      if (got < need.count) {
        for (const file of taken) rmSync(file, { force: true });
        const inUse = this.#liveHolders(dir).length;
        return `waiting for token ${need.name} (${inUse}/${need.capacity} in use)`;
      }
    }
    return undefined;
  }

  /** Gives back every unit the job holds. */
  release(needs: readonly TokenNeed[], jobDir: string): void {
    for (const need of needs) {
      const dir = join(this.#dir, safeSegment(need.name));
      for (const file of this.#held(dir, jobDir)) rmSync(file, { force: true });
    }
  }

  #take(file: string, holder: Omit<SlotHolder, "pid" | "host" | "since">): boolean {
    const record: SlotHolder = {
      ...holder,
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    };
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(record));
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          linkSync(temp, file);
          return true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
          if (!isStale(readHolder(file))) return false;
          // Move the stale file aside under a name of our own first, so two processes never both remove a fresh one.
          try {
            renameSync(file, `${file}.stale.${process.pid}`);
            rmSync(`${file}.stale.${process.pid}`, { force: true });
          } catch {
            return false;
          }
        }
      }
      return false;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  #held(dir: string, jobDir: string): string[] {
    return this.#slots(dir).filter((file) => readHolder(file)?.jobDir === jobDir);
  }

  #liveHolders(dir: string): string[] {
    return this.#slots(dir).filter((file) => !isStale(readHolder(file)));
  }

  #slots(dir: string): string[] {
    try {
      return readdirSync(dir)
        .filter((name) => /^slot-\d+$/.test(name))
        .map((name) => join(dir, name));
    } catch {
      return [];
    }
  }
}

function readHolder(file: string): SlotHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SlotHolder;
  } catch {
    return undefined;
  }
}

/** A unit is stale when its job has ended, or has not started and the driver that took the unit is dead. */
function isStale(holder: SlotHolder | undefined): boolean {
  if (!holder) return true;
  const outcome = readJobOutcome(holder.jobDir);
  // Outcome files older than the unit are those of an earlier attempt (a retry takes its units again).
  const current = (at: string | undefined) => at !== undefined && at >= holder.since;
  if (outcome.exitCode !== undefined && current(outcome.endedAt)) return true;
  if (outcome.pid !== undefined && current(outcome.startedAt))
    return holder.host === hostname() && !isProcessAlive(outcome.pid);
  return holder.host === hostname() && !isProcessAlive(holder.pid);
}
