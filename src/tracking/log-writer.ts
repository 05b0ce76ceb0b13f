import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TrackingValueError } from "../errors.js";
import { writeFileAtomic } from "../workspace/atomic-file.js";
import { JsonlAppender, lineIndex } from "./jsonl-file.js";

/** ML-Dash's five log levels, in order of severity. */
export const runLogLevels = ["debug", "info", "warn", "error", "fatal"] as const;
export type RunLogLevel = (typeof runLogLevels)[number];

/** Lower-cases and checks a level name (ML-Dash's LogLevel.validate). */
export function checkLogLevel(level: string): RunLogLevel {
  const lower = typeof level === "string" ? level.toLowerCase() : "";
  if (!(runLogLevels as readonly string[]).includes(lower)) {
    throw new TrackingValueError(
      `Log level ${JSON.stringify(level)} is not one of ${runLogLevels.join(", ")}.`,
      {
        details: { level },
      },
    );
  }
  return lower as RunLogLevel;
}

interface PendingLog {
  readonly timestamp: string;
  readonly level: RunLogLevel;
  readonly message: string;
  readonly metadataJson: string | undefined;
}

/** `logs/logs.jsonl` and `logs/.log_sequence` of one run. */
export class LogWriter {
  readonly #dir: string;
  readonly #lines: JsonlAppender;
  #pending: PendingLog[] = [];
  #next: number | undefined;

  constructor(runDir: string) {
    this.#dir = join(runDir, "logs");
    this.#lines = new JsonlAppender(join(this.#dir, "logs.jsonl"));
  }

  /** Queues a record; returns its size in characters. */
  add(level: RunLogLevel, message: string, metadataJson: string | undefined, timestamp: string): number {
    this.#pending.push({ timestamp, level, message, metadataJson });
    return message.length + (metadataJson?.length ?? 0) + 80;
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const records = this.#pending;
    this.#pending = [];
    if (this.#next === undefined) {
      const last = this.#lines.open();
      this.#next = Math.max(this.#readSequenceFile(), lineIndex(last, "sequenceNumber") + 1);
    } else {
      // Another writer (a job's output capture next to the job's own logging) may have gone on meanwhile.
      this.#next = Math.max(this.#next, this.#readSequenceFile());
    }
    let text = "";
    for (const record of records) {
      const metadata = record.metadataJson === undefined ? "" : `,"metadata":${record.metadataJson}`;
      text +=
        `{"sequenceNumber":${this.#next++},"timestamp":"${record.timestamp}","level":"${record.level}",` +
        `"message":${JSON.stringify(record.message)}${metadata}}\n`;
    }
    this.#lines.append(text);
    writeFileAtomic(join(this.#dir, ".log_sequence"), String(this.#next));
  }

  close(): void {
    this.#lines.close();
  }

  #readSequenceFile(): number {
    try {
      const value = Number.parseInt(readFileSync(join(this.#dir, ".log_sequence"), "utf8").trim(), 10);
      return Number.isFinite(value) && value >= 0 ? value : 0;
    } catch {
      return 0;
    }
  }
}
