import { join } from "node:path";
import { isoNow } from "../format/clock.js";
import { encodeJson, type JsonValue } from "../format/json-codec.js";
import { readJsonObject, writeJsonObject } from "../format/json-file.js";
import { JsonlAppender } from "../format/jsonl-file.js";
import { trackDirName } from "../format/names.js";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** ML-Dash's track flattening: nested objects become dot keys; leaves are copied. */
export function flattenTrackFields(
  fields: Readonly<Record<string, unknown>>,
  parent = "",
  out: Record<string, JsonValue> = {},
) {
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const flatKey = parent ? `${parent}.${key}` : key;
    if (isPlainObject(value)) flattenTrackFields(value, flatKey, out);
    else
      out[flatKey] = (
        typeof value === "object" && value !== null ? structuredClone(value) : value
      ) as JsonValue;
  }
  return out;
}

/**
 * One track on disk: `tracks/<topic with / → _>/data.jsonl` + `metadata.json`. Entries of a batch with the
 * same timestamp are merged, and each batch is written sorted by timestamp, as ML-Dash's buffer does.
 */
export class TrackWriter {
  readonly topic: string;
  readonly #dir: string;
  readonly #data: JsonlAppender;
  #pending = new Map<number, Record<string, JsonValue>>();
  #pendingSize = 0;
  #meta: Record<string, unknown> | undefined;
  #metaDirty = false;

  constructor(runDir: string, topic: string) {
    this.topic = topic;
    this.#dir = join(runDir, "tracks", trackDirName(topic));
    this.#data = new JsonlAppender(join(this.#dir, "data.jsonl"));
  }

  /** Queues an entry (fields already checked); returns its approximate size. */
  add(timestamp: number, fields: Readonly<Record<string, unknown>>): number {
    const flat = flattenTrackFields(fields);
    const existing = this.#pending.get(timestamp);
    if (existing) Object.assign(existing, flat);
    else this.#pending.set(timestamp, flat);
    const size = 64 + 16 * Object.keys(flat).length;
    this.#pendingSize += size;
    return size;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Characters (roughly) queued and not written yet. */
  get pendingSize(): number {
    return this.#pendingSize;
  }

  /** Drops what is queued; returns how many entries. */
  discard(): number {
    const count = this.#pending.size;
    this.#pending = new Map();
    this.#pendingSize = 0;
    return count;
  }

  /** Writes the queued entries; throws the I/O error of a failed write, keeping the entries queued. */
  flush(): void {
    if (this.#pending.size > 0) this.#writePending();
    if (this.#metaDirty) {
      writeJsonObject(join(this.#dir, "metadata.json"), this.#meta!);
      this.#metaDirty = false;
    }
  }

  #writePending(): void {
    const entries = [...this.#pending].sort(([a], [b]) => a - b);
    if (this.#meta === undefined) {
      this.#data.open();
      this.#meta = readJsonObject(join(this.#dir, "metadata.json"), () => undefined) ?? {
        trackId: `local-track-${trackDirName(this.topic)}`,
        topic: this.topic,
        columns: [],
        totalEntries: 0,
        firstTimestamp: null,
        lastTimestamp: null,
        createdAt: isoNow(),
      };
    }
    const meta = this.#meta;
    const columns = new Set<string>(Array.isArray(meta.columns) ? (meta.columns as string[]) : []);
    let first = typeof meta.firstTimestamp === "number" ? meta.firstTimestamp : undefined;
    let last = typeof meta.lastTimestamp === "number" ? meta.lastTimestamp : undefined;
    let text = "";
    for (const [timestamp, fields] of entries) {
      for (const key of Object.keys(fields)) columns.add(key);
      if (first === undefined || timestamp < first) first = timestamp;
      if (last === undefined || timestamp > last) last = timestamp;
      text += `${encodeJson({ timestamp, ...fields })}\n`;
    }
    this.#data.append(text);
    this.#pending = new Map();
    this.#pendingSize = 0;
    meta.columns = [...columns].sort();
    meta.totalEntries = (typeof meta.totalEntries === "number" ? meta.totalEntries : 0) + entries.length;
    meta.firstTimestamp = first ?? null;
    meta.lastTimestamp = last ?? null;
    this.#metaDirty = true;
  }

  close(): void {
    this.#data.close();
  }
}
