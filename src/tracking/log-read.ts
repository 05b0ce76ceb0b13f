import { join } from "node:path";
import { TrackingValueError } from "../errors.js";
import type { JsonValue } from "../format/json-codec.js";
import { scanJsonl } from "../format/jsonl-file.js";
import { compileUserRegex, type TextMatcher } from "../util/user-regex.js";
import { checkLogLevel, runLogLevels, type RunLogLevel } from "../format/log-writer.js";

export interface LogRecord {
  readonly sequenceNumber: number;
  readonly timestamp: string;
  readonly level: string;
  readonly message: string;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

export interface LogReadOptions {
  /** A minimum level ("warn" → warn, error, fatal), or the exact levels to keep. */
  readonly level?: RunLogLevel | string | readonly (RunLogLevel | string)[];
  /** Keep messages matching this (a string is compiled as a regular expression). */
  readonly regex?: RegExp | string;
  /** Keep only the last N matching records. */
  readonly tail?: number;
}

export interface LogReadResult {
  readonly records: LogRecord[];
  readonly torn: boolean;
  readonly skipped: number;
}

function levelFilter(level: LogReadOptions["level"]): (level: string) => boolean {
  if (level === undefined) return () => true;
  if (Array.isArray(level)) {
    const wanted = new Set(level.map((l: string) => checkLogLevel(l)));
    return (l) => wanted.has(l as RunLogLevel);
  }
  const minimum = runLogLevels.indexOf(checkLogLevel(level as string));
  return (l) => runLogLevels.indexOf(l as RunLogLevel) >= minimum;
}

/** Reads a run's log records in order, filtered by level and message. */
export async function readLogs(runDir: string, options: LogReadOptions = {}): Promise<LogReadResult> {
  const { tail } = options;
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) {
    throw new TrackingValueError(`tail must be a non-negative integer, not ${String(tail)}.`);
  }
  const pattern: RegExp | TextMatcher | undefined =
    typeof options.regex === "string" ? compileUserRegex(options.regex) : options.regex;
  const keepLevel = levelFilter(options.level);
  const records: LogRecord[] = [];
  const stats = await scanJsonl(join(runDir, "logs", "logs.jsonl"), (record) => {
    const { message, level } = record;
    if (typeof message !== "string" || typeof level !== "string") return;
    if (!keepLevel(level)) return;
    if (pattern) {
      if (pattern instanceof RegExp) pattern.lastIndex = 0; // a /g or /y pattern keeps state between tests
      if (!pattern.test(message)) return;
    }
    records.push(record as unknown as LogRecord);
    if (tail !== undefined && records.length >= 2 * tail + 1024) records.splice(0, records.length - tail);
  });
  const kept = tail === undefined ? records : tail === 0 ? [] : records.slice(-tail);
  return { records: kept, torn: stats.torn, skipped: stats.skipped };
}
