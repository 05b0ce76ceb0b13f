import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { JsonValue } from "../../format/json-codec.js";
import { readRunRecord, deriveStatus, runStatuses, type RunRecord } from "../../format/run-record.js";
import { recordWarningOf, type RecordWarning } from "../../util/record-warning.js";
import type { RunStatus, StoredRun } from "../store.js";

/** Where a deleted run's folder goes: `<base>/.deleted/<encoded id>`, out of every listing. */
export const deletedFolder = ".deleted";
/** Between a folder's path and the generation of a run made again where a deleted one was. */
export const generationMark = "//";

// A run's own data folders hold no runs.
const runDataFolders = new Set(["logs", "metrics", "files", "tracks"]);

export interface FoundRun {
  readonly dir: string;
  readonly record: RunRecord;
}

/**
 * The run folders a `FilesStore` serves and their ids. A run's id is its folder relative to `base`, with `/`
 * (what the dashboard shows in its URLs); a run made where a deleted one was gets `<path>//<n>`, recorded in
 * its experiment.json (`labrunId`), so that an id never names two runs.
 */
export class RunFolders {
  readonly base: string;
  readonly root: string;
  readonly #extra: () => Iterable<string>;

  constructor(base: string, root: string, extra: () => Iterable<string>) {
    this.base = resolve(base);
    this.root = resolve(root);
    this.#extra = extra;
  }

  idOf(dir: string, record: RunRecord): string {
    return typeof record.labrunId === "string"
      ? record.labrunId
      : relative(this.base, dir).split(sep).join("/");
  }

  tombstone(id: string): string {
    return join(this.base, deletedFolder, encodeURIComponent(id));
  }

  /** The live folder of an id (undefined when none), or its tombstone when the run was deleted. */
  find(id: string): { dir: string; record: RunRecord; deleted: boolean } | undefined {
    const cut = id.indexOf(generationMark);
    const path = cut < 0 ? id : id.slice(0, cut);
    const dir = resolve(this.base, path);
    const hidden = path.split("/").some((segment) => segment.startsWith("."));
    if (path.length > 0 && dir.startsWith(this.base + sep) && !hidden) {
      // A damaged experiment.json is an error (CORRUPT_RECORD), not a missing run: nothing writes over it.
      const record = readRunRecord(dir);
      if (record && this.idOf(dir, record) === id) return { dir, record, deleted: false };
    }
    const gone = this.tombstone(id);
    const record = readRunRecord(gone, () => undefined);
    return record ? { dir: gone, record, deleted: true } : undefined;
  }

  /** A fresh id for a new run in `dir`: its path, or `<path>//<n>` where deleted runs had the path. */
  newId(dir: string): string | undefined {
    const path = relative(this.base, dir).split(sep).join("/");
    if (!existsSync(this.tombstone(path))) return undefined;
    let n = 2;
    while (existsSync(this.tombstone(`${path}${generationMark}${n}`))) n++;
    return `${path}${generationMark}${n}`;
  }

  /**
   * Every live run (folders holding an experiment.json under the root, at any depth, and the extra folders);
   * a run whose experiment.json cannot be read is left out and told to `onUnreadable` (default: ignored).
   */
  list(onUnreadable?: (dir: string, warning: RecordWarning, error: Error) => void): FoundRun[] {
    const found: FoundRun[] = [];
    const read = (dir: string) => {
      try {
        const record = readRunRecord(dir);
        if (record) found.push({ dir, record });
      } catch (error) {
        onUnreadable?.(dir, recordWarningOf(error), error as Error);
      }
    };
    const walk = (dir: string, isRun: boolean) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      if (entries.some((entry) => entry.isFile() && entry.name === "experiment.json")) {
        read(dir);
        isRun = true;
      }
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
        if (isRun && runDataFolders.has(entry.name)) continue;
        walk(join(dir, entry.name), false);
      }
    };
    walk(this.root, false);
    for (const dir of this.#extra()) if (existsSync(join(dir, "experiment.json"))) read(dir);
    return found;
  }
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/** What the files of a run say, as a `StoredRun`. */
export function storedRun(id: string, record: RunRecord, deleted: boolean, now = Date.now()): StoredRun {
  const prefix = typeof record.prefix === "string" ? record.prefix.replace(/^\/+|\/+$/g, "") : "";
  const segments = prefix.split("/");
  const derived = deriveStatus(record, now);
  const status: RunStatus =
    derived.status === "UNKNOWN" || (runStatuses as readonly string[]).includes(derived.status)
      ? (derived.status as RunStatus)
      : "COMPLETED";
  const error = record.error?.message;
  const endedAt = typeof record.endedAt === "string" ? record.endedAt : undefined;
  const created = typeof record.created_at === "string" ? record.created_at : "";
  return {
    id,
    prefix,
    owner: segments[0] ?? "",
    project: typeof record.project === "string" ? record.project : (segments[1] ?? ""),
    name: typeof record.name === "string" ? record.name : (segments[segments.length - 1] ?? ""),
    status,
    ...(typeof record.description === "string" ? { description: record.description } : {}),
    tags: strings(record.tags),
    bindrs: strings(record.bindrs),
    metadata:
      typeof record.metadata === "object" && record.metadata !== null && !Array.isArray(record.metadata)
        ? (record.metadata as Record<string, JsonValue>)
        : {},
    ...(typeof error === "string" ? { error } : {}),
    createdAt: created,
    updatedAt: typeof record.updated_at === "string" ? record.updated_at : created,
    ...(endedAt ? { endedAt } : {}),
    deleted,
    folder: {
      status: derived.status,
      reason: derived.reason,
      host: typeof record.host === "string" ? record.host : null,
      startedAt: typeof record.startedAt === "string" ? record.startedAt : null,
    },
  };
}
