import { join } from "node:path";
import type { JsonValue } from "../../format/json-codec.js";
import { encodeJson } from "../../format/json-codec.js";
import { scanJsonl } from "../../format/jsonl-file.js";
import { LogWriter } from "../../format/log-writer.js";
import { compileUserRegex } from "../../util/user-regex.js";
import type { LogLevel, LogQuery, NewLog, StoredLog } from "../store.js";

const defaultLimit = 1000;

/** Appends log records in ML-Dash's format (log-writer.ts), numbered after the run's last one. */
export function appendLogs(dir: string, logs: readonly NewLog[]): void {
  if (logs.length === 0) return;
  const writer = new LogWriter(dir);
  try {
    for (const log of logs) {
      const metadata =
        log.metadata !== undefined && Object.keys(log.metadata).length > 0
          ? encodeJson(log.metadata)
          : undefined;
      writer.add(log.level, log.message, metadata, log.timestamp);
    }
    writer.flush();
  } finally {
    writer.close();
  }
}

/** `logs/logs.jsonl` filtered as every Store filters: levels, regex, times, after a sequence; tail or limit. */
export async function queryLogs(dir: string, query: LogQuery = {}): Promise<StoredLog[]> {
  const levels = query.levels && query.levels.length > 0 ? new Set<string>(query.levels) : undefined;
  const regex = query.regex === undefined ? undefined : compileUserRegex(query.regex);
  const since = query.since === undefined ? undefined : Date.parse(query.since);
  const until = query.until === undefined ? undefined : Date.parse(query.until);
  const tail = query.tail;
  const wanted = tail ?? query.limit ?? defaultLimit;
  const out: StoredLog[] = [];
  await scanJsonl(join(dir, "logs", "logs.jsonl"), (record) => {
    if (tail === undefined && out.length >= wanted) return;
    const { sequenceNumber, level, message, timestamp, metadata } = record;
    if (typeof sequenceNumber !== "number" || typeof message !== "string") return;
    if (typeof level !== "string" || typeof timestamp !== "string") return;
    if (query.afterSequence !== undefined && sequenceNumber <= query.afterSequence) return;
    if (levels && !levels.has(level)) return;
    if (since !== undefined || until !== undefined) {
      const ms = Date.parse(timestamp);
      if ((since !== undefined && !(ms >= since)) || (until !== undefined && !(ms <= until))) return;
    }
    if (regex && !regex.test(message)) return;
    out.push({
      sequence: sequenceNumber,
      level: level as LogLevel,
      message,
      timestamp,
      ...(typeof metadata === "object" && metadata !== null
        ? { metadata: metadata as Record<string, JsonValue> }
        : {}),
    });
    if (tail !== undefined && out.length >= 2 * tail + 1024) out.splice(0, out.length - tail);
  });
  return tail === undefined ? out : tail === 0 ? [] : out.slice(-tail);
}
