import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { RunUpsert } from "../../store/store.js";
import { writeFileAtomic } from "../../util/atomic-file.js";
import { parsePrefix } from "../../format/names.js";

/**
 * The on-disk buffer of remote mode: `<LABRUN_HOME>/buffer/<prefix>/<clientId>-<seq>.json`, one file per
 * batch not yet acknowledged by the server (written atomically before it is sent, deleted once the server
 * acknowledged it), and `<clientId>-f<n>.file.json` per file upload waiting (its bytes beside it, in
 * `<clientId>-f<n>.bin`, unless it points at the run's local copy). Batches the server refused as invalid
 * (4xx other than 401/403) move to `rejected/` with the server's answer. `labrun sync` sends whatever a
 * client left behind.
 */

/** What the envelope of a buffered item says about its run. */
export interface BufferedRun {
  readonly url: string;
  readonly prefix: string;
  readonly upsert: RunUpsert;
  readonly clientId: string;
  /** Position among the items of this client (batches and files share it): the order to send them. */
  readonly order: number;
  readonly createdAt: string;
}

export interface BufferedBatch extends BufferedRun {
  readonly labrunBuffer: 1;
  readonly kind: "batch";
  readonly seq: number;
  /** The batch as sent (RunBatch with clientId and seq). */
  readonly batch: Record<string, unknown>;
}

export interface BufferedFile extends BufferedRun {
  readonly labrunBuffer: 1;
  readonly kind: "file";
  readonly n: number;
  /** Folder of the file in the run (`models`). */
  readonly folder: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly contentType: string;
  /** Absolute path of the bytes: a staged copy in the buffer, or the run's local copy. */
  readonly source: string;
  /** The bytes are a copy in the buffer (deleted with the envelope). */
  readonly staged: boolean;
}

export type BufferedItem = BufferedBatch | BufferedFile;

/** `$LABRUN_HOME/buffer` (default `~/.labrun/buffer`). */
export function defaultBufferRoot(): string {
  const home = process.env.LABRUN_HOME;
  return resolve(home && home.length > 0 ? home : join(homedir(), ".labrun"), "buffer");
}

export function runBufferDir(root: string, prefix: string): string {
  return join(root, ...parsePrefix(prefix).segments);
}

/** Writes the envelope text of a batch (built by concatenation) atomically; returns its path. */
export function writeBufferedText(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileAtomic(file, text);
  return file;
}

export function batchFileName(clientId: string, seq: number): string {
  return `${clientId}-${seq}.json`;
}

export function readBuffered(file: string): BufferedItem | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as BufferedItem;
    return value && value.labrunBuffer === 1 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes an acknowledged item (and its staged bytes). */
export function removeBuffered(file: string, item?: BufferedItem): void {
  rmSync(file, { force: true });
  if (item?.kind === "file" && item.staged) rmSync(item.source, { force: true });
}

/** Moves a refused item to `rejected/` beside it, with the server's answer in `<name>.error.json`. */
export function rejectBuffered(file: string, error: unknown): void {
  const dir = join(dirname(file), "rejected");
  mkdirSync(dir, { recursive: true });
  const target = join(dir, basename(file));
  try {
    renameSync(file, target);
  } catch {
    return; // already gone
  }
  const e = error as { code?: unknown; message?: unknown };
  writeFileAtomic(
    `${target.slice(0, -".json".length)}.error.json`,
    `${JSON.stringify({ code: e?.code ?? null, message: String(e?.message ?? error), at: new Date().toISOString() })}\n`,
  );
}

/**
 * Moves back out of `rejected/` the items refused for their token (401/403: UNAUTHORIZED, FORBIDDEN), which
 * earlier versions of labrun rejected for good: they were never judged, and are sent again by the next sync.
 */
export function restoreAuthRejected(root: string, prefix?: string): number {
  let restored = 0;
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name !== "rejected") {
        walk(path);
        continue;
      }
      for (const name of readdirSync(path)) {
        if (!name.endsWith(".error.json")) continue;
        let code: unknown;
        try {
          code = (JSON.parse(readFileSync(join(path, name), "utf8")) as { code?: unknown }).code;
        } catch {
          continue;
        }
        if (code !== "UNAUTHORIZED" && code !== "FORBIDDEN") continue;
        const item = `${name.slice(0, -".error.json".length)}.json`;
        try {
          renameSync(join(path, item), join(dir, item));
          rmSync(join(path, name), { force: true });
          restored++;
        } catch {
          // the item is gone; its answer stays beside nothing
        }
      }
    }
  };
  walk(prefix ? runBufferDir(root, prefix) : root);
  return restored;
}

/** Every buffered item under `root` (optionally only under `prefix`), in the order to send them. */
export function listBuffered(root: string, prefix?: string): { file: string; item: BufferedItem }[] {
  const start = prefix ? runBufferDir(root, prefix) : root;
  const found: { file: string; item: BufferedItem }[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "rejected") walk(path);
      } else if (entry.name.endsWith(".json") && !entry.name.endsWith(".error.json")) {
        const item = readBuffered(path);
        if (item && (item.kind === "batch" || item.kind === "file")) found.push({ file: path, item });
      }
    }
  };
  walk(start);
  // A client's items in their order; the clients of one run in the order they started.
  const firstOf = new Map<string, string>();
  for (const { item } of found) {
    const first = firstOf.get(item.clientId);
    if (first === undefined || item.createdAt < first) firstOf.set(item.clientId, item.createdAt);
  }
  found.sort(
    (a, b) =>
      a.item.prefix.localeCompare(b.item.prefix) ||
      firstOf.get(a.item.clientId)!.localeCompare(firstOf.get(b.item.clientId)!) ||
      a.item.clientId.localeCompare(b.item.clientId) ||
      a.item.order - b.item.order,
  );
  return found;
}
