import { statSync } from "node:fs";
import { CorruptRecordError } from "../errors.js";
import { readTextIfExists, writeFileAtomic } from "../util/atomic-file.js";
import { sleepSync } from "../util/sleep-sync.js";
import { encodeJson, parseJson } from "./json-codec.js";

/**
 * Reads a JSON object file written by labrun or ML-Dash (NaN tokens allowed). Undefined when missing.
 * ML-Dash rewrites its JSON files in place, so a file caught half-written (changed in the last seconds) is
 * read once more after a short pause; `onCorrupt` decides what a file that still does not parse becomes: by default a
 * `CorruptRecordError`, so that nothing reads a damaged file as missing and then writes over it.
 */
export function readJsonObject(
  file: string,
  onCorrupt: (problem: string) => Record<string, unknown> | undefined = (problem) => {
    throw new CorruptRecordError(file, problem);
  },
): Record<string, unknown> | undefined {
  for (let attempt = 0; ; attempt++) {
    const text = readTextIfExists(file);
    if (text === undefined) return undefined;
    let problem: string;
    try {
      const value = parseJson(text);
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return value as Record<string, unknown>;
      problem = "not a JSON object";
    } catch (error) {
      problem = text.trim() === "" ? "empty file" : (error as Error).message;
    }
    // An older file is not being written: it is damaged, and a listing of many need not pause for each.
    if (attempt >= 1 || !changedLately(file)) return onCorrupt(problem);
    sleepSync(50);
  }
}

function changedLately(file: string): boolean {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat !== undefined && Date.now() - stat.mtimeMs < 5000;
}

/** Replaces a JSON file atomically (temporary sibling + rename), with NaN tokens for non-finite numbers. */
export function writeJsonObject(file: string, value: Record<string, unknown>): void {
  writeFileAtomic(file, encodeJson(value));
}
