import { randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { isProcessAlive, processStartTicks } from "../util/process-probe.js";
import { ownerAlive, readRunRecord, staleAfterMs } from "./run-record.js";

/**
 * Exclusive ownership of a run folder: `<run>/.owner.lock`, the same file for the TypeScript and the Python
 * writer (docs/tracking-format.md). Created whole and at once (the content goes to a temporary file that is
 * then hard-linked to the lock's name: `link` fails if the name exists), so of writers starting at the same
 * instant exactly one gets it.
 *
 * A lock whose holder is provably dead (same host: its pid is gone or reused; another host: its heartbeat
 * in experiment.json stopped) is taken over without a race: a taker must first own the claim
 * `.owner.lock.<holder token>.takeover` (the same primitive, one level down), so exactly one taker may
 * replace that holder's lock (atomically, by rename). Claims stay until they are a minute old, so a taker
 * that read the old holder late cannot claim it again; the owner sweeps old claims when it lets go.
 */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly processStart: string | null;
  /** Random: tells this holding apart from any other, also of the same process. */
  readonly token: string;
  readonly at: string;
}

export const ownerLockFile = ".owner.lock";
const claimsLiveMs = 60_000;
const maxDepth = 3;

export type LockAttempt =
  | { readonly acquired: true; readonly lock: OwnerLock }
  | { readonly acquired: false; readonly holder: LockHolder };

/** A held lock; `release()` removes it if it is still this one. */
export class OwnerLock {
  readonly file: string;
  readonly holder: LockHolder;

  constructor(file: string, holder: LockHolder) {
    this.file = file;
    this.holder = holder;
  }

  release(): void {
    if (readHolder(this.file)?.token === this.holder.token) rmSync(this.file, { force: true });
    sweepClaims(this.file);
  }
}

/** Takes the run folder's lock, or names the live writer holding it. */
export function acquireOwnerLock(dir: string): LockAttempt {
  const file = join(dir, ownerLockFile);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    processStart: processStartTicks(process.pid) ?? null,
    token: randomBytes(12).toString("hex"),
    at: new Date().toISOString(),
  };
  const result = acquire(file, me, dir, 0);
  return result === true
    ? { acquired: true, lock: new OwnerLock(file, me) }
    : { acquired: false, holder: result };
}

function acquire(file: string, me: LockHolder, runDir: string, depth: number): true | LockHolder {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (create(file, me)) return true;
    const holder = readHolder(file);
    if (holder === undefined) continue; // let go meanwhile: try again
    if (holderAlive(holder, runDir)) return holder;
    if (depth >= maxDepth) return holder;
    const claim = acquire(`${file}.${holder.token}.takeover`, me, runDir, depth + 1);
    if (claim !== true) return claim; // another writer is taking it over: it will be the owner
    if (readHolder(file)?.token === holder.token) {
      const temp = writeTemp(file, me);
      renameSync(temp, file);
      return true;
    }
  }
  return { pid: 0, host: "unknown", processStart: null, token: "", at: new Date().toISOString() };
}

/** Creates `file` holding `me`, whole, unless it exists. */
function create(file: string, me: LockHolder): boolean {
  const temp = writeTemp(file, me);
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

function writeTemp(file: string, me: LockHolder): string {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temp, "wx");
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  return temp;
}

/** The holder recorded in a lock file; undefined when there is none. An unreadable lock counts as dead. */
export function readHolder(file: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as LockHolder;
    if (typeof value.pid === "number" && typeof value.token === "string" && typeof value.host === "string")
      return value;
  } catch {
    // garbled: below
  }
  let stamp = "0";
  try {
    stamp = String(statSync(file).ino);
  } catch {
    // gone: the stamp does not matter
  }
  return { pid: 0, host: "", processStart: null, token: `unreadable-${stamp}`, at: "" };
}

function holderAlive(holder: LockHolder, runDir: string): boolean {
  if (holder.pid <= 0) return false;
  if (holder.host === hostname()) {
    // This very process holding it without an open Run (ownership is checked per process before) is a
    // leftover: not a live owner.
    if (holder.pid === process.pid) return false;
    return isProcessAlive(holder.pid, holder.processStart ?? undefined);
  }
  const record = readRunRecord(runDir, () => undefined);
  if (record?.pid === holder.pid && record.host === holder.host) return ownerAlive(record);
  const at = Date.parse(holder.at);
  return Number.isFinite(at) && Date.now() - at <= (record ? staleAfterMs(record) : 60_000);
}

function sweepClaims(file: string): void {
  const dir = dirname(file);
  const name = basename(file);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(`${name}.`) || !entry.endsWith(".takeover")) continue;
    try {
      if (Date.now() - statSync(join(dir, entry)).mtimeMs > claimsLiveMs)
        rmSync(join(dir, entry), { force: true });
    } catch {
      // gone meanwhile
    }
  }
}
