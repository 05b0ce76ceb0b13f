import { appendFileSync, closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";

export interface CancelRequest {
  readonly cancel: string[];
  readonly reason: string;
  readonly at: string;
}

/**
 * Requests from other processes to the experiment's driver, as an append-only JSON-lines file
 * (`control.jsonl`): another process never writes a job's record while a driver owns it.
 */
export class ControlRequests {
  readonly file: string;
  #offset: number;

  constructor(experimentDir: string) {
    this.file = join(experimentDir, "control.jsonl");
    // Requests made before this driver started were for a driver that is gone; they were applied by whoever took over.
    this.#offset = sizeOf(this.file);
  }

  static send(experimentDir: string, request: Omit<CancelRequest, "at">): void {
    appendFileSync(
      join(experimentDir, "control.jsonl"),
      `${JSON.stringify({ ...request, at: new Date().toISOString() })}\n`,
    );
  }

  /** New cancel requests since the last call, merged. */
  take(): { names: string[]; reason: string } | undefined {
    const size = sizeOf(this.file);
    if (size <= this.#offset) return undefined;
    const buffer = Buffer.alloc(size - this.#offset);
    const fd = openSync(this.file, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString("utf8");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    this.#offset += Buffer.byteLength(complete);
    // A damaged line (a hand edit, a full disk) is not a request: it must not stop the driver that reads it.
    const requests = complete
      .split("\n")
      .filter((line) => line.trim())
      .flatMap((line) => {
        try {
          const request = JSON.parse(line) as CancelRequest | null;
          return Array.isArray(request?.cancel) ? [request] : [];
        } catch {
          return [];
        }
      });
    if (requests.length === 0) return undefined;
    return { names: requests.flatMap((r) => r.cancel), reason: requests[requests.length - 1]!.reason };
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
