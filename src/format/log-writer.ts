import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TrackingValueError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-file.js";
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

/** Records appended by one write at most. */
const sliceSize = 10_000;

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
  #pendingSize = 0;
  #next: number | undefined;
  #sequenceDirty = false;

  constructor(runDir: string) {
    this.#dir = join(runDir, "logs");
    this.#lines = new JsonlAppender(join(this.#dir, "logs.jsonl"));
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Characters queued and not written yet. */
  get pendingSize(): number {
    return this.#pendingSize;
  }

  /** Queues a record; returns its size in characters. */
  add(level: RunLogLevel, message: string, metadataJson: string | undefined, timestamp: string): number {
    this.#pending.push({ timestamp, level, message, metadataJson });
    const size = message.length + (metadataJson?.length ?? 0) + 80;
    this.#pendingSize += size;
    return size;
  }

  /** Writes the queued records; throws the I/O error of a failed write, keeping the records queued. */
  flush(): void {
    if (this.#pending.length > 0) {
      if (this.#next === undefined) {
        const last = this.#lines.open();
        this.#next = Math.max(this.#readSequenceFile(), lineIndex(last, "sequenceNumber") + 1);
      } else {
        // Another writer (a job's output capture next to the job's own logging) may have gone on meanwhile.
        this.#next = Math.max(this.#next, this.#readSequenceFile());
      }
    }
    // In slices: after a long outage, a backlog larger than the free space still goes in as far as it fits.
    while (this.#pending.length > 0) {
      const records = this.#pending.length <= sliceSize ? this.#pending : this.#pending.slice(0, sliceSize);
      let next = this.#next!;
      let text = "";
      for (const record of records) {
        const metadata = record.metadataJson === undefined ? "" : `,"metadata":${record.metadataJson}`;
        text +=
          `{"sequenceNumber":${next++},"timestamp":"${record.timestamp}","level":"${record.level}",` +
          `"message":${JSON.stringify(record.message)}${metadata}}\n`;
      }
      this.#lines.append(text);
      this.#next = next;
      this.#pending = records === this.#pending ? [] : this.#pending.slice(records.length);
      this.#pendingSize = this.#pending.length === 0 ? 0 : Math.max(0, this.#pendingSize - text.length);
      this.#sequenceDirty = true;
    }
    if (this.#sequenceDirty) {
      writeFileAtomic(join(this.#dir, ".log_sequence"), String(this.#next));
      this.#sequenceDirty = false;
    }
  }

  /** Drops what is queued; returns how many records. */
  discard(): number {
    const count = this.#pending.length;
    this.#pending = [];
    this.#pendingSize = 0;
    return count;
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
