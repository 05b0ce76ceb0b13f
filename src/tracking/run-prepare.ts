import { isoNow } from "../format/clock.js";
import { encodeJson, type JsonValue } from "../format/json-codec.js";
import { parsePrefix } from "../format/names.js";
import { flattenParams, mergeParams } from "./params.js";
import { baseRunRecord } from "./run-lifecycle.js";
import { readRunRecord, writeRunRecord } from "../format/run-record.js";

/**
 * Creates (or updates) a run's experiment.json and merges parameters into it without opening the run: what a
 * launcher does for a job before the job starts, so the job's own `Run.current()` finds its parameters.
 * Status fields are left to whoever runs the job. Two file writes; no writer, timer or heartbeat.
 */
export function prepareRun(
  dir: string,
  prefix: string,
  contents: {
    readonly metadata?: Record<string, JsonValue>;
    readonly params?: Readonly<Record<string, unknown>>;
  },
): void {
  const parsed = parsePrefix(prefix);
  if (contents.metadata !== undefined) encodeJson(contents.metadata, "metadata");
  const flat = flattenParams(contents.params ?? {});
  encodeJson(flat); // every value checked before anything is written
  const existing = readRunRecord(dir);
  writeRunRecord(dir, baseRunRecord(parsed, { metadata: contents.metadata }, existing, isoNow()));
  if (Object.keys(flat).length > 0) mergeParams(dir, flat);
}
