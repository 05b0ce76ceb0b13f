import { useEffect, useState } from "react";
import type { Experiment } from "../../experiment/experiment.js";

/** One line of a job's output, as the job wrote it (made drawable only when shown: most never are). */
export interface TailLine {
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export interface LogTail {
  readonly lines: readonly TailLine[];
  /** The job has ended and every line of it has been read. */
  readonly ended: boolean;
  readonly error?: unknown;
}

/** Lines kept for scrolling back; older ones are dropped. */
export const tailLimit = 5000;

/**
 * Follows a job's stdout and stderr through `Experiment.logStream` (as `labrun experiment logs --follow`
 * does) and keeps the newest `tailLimit` lines. The screen is redrawn at most every `flushMs`, however
 * fast the job writes.
 */
export function useLogTail(
  experiment: Experiment | undefined,
  job: string | undefined,
  flushMs = 100,
): LogTail {
  const [tail, setTail] = useState<LogTail>({ lines: [], ended: false });
  useEffect(() => {
    setTail({ lines: [], ended: false });
    if (!experiment || job === undefined) return;
    const controller = new AbortController();
    let lines: TailLine[] = [];
    let dirty = false;
    let sinceBreath = 0;
    const flush = () => {
      if (!dirty) return;
      dirty = false;
      if (lines.length > tailLimit) lines = lines.slice(-tailLimit);
      setTail((previous) => ({ ...previous, lines: [...lines] }));
    };
    const timer = setInterval(flush, flushMs);
    void (async () => {
      try {
        for await (const { stream, line } of experiment.logStream(job, {
          follow: true,
          signal: controller.signal,
        })) {
          if (controller.signal.aborted) break;
          lines.push({ stream, line });
          // A long backlog arrives in one go: let keys (Esc) and the screen in between.
          if (++sinceBreath >= 2000) {
            sinceBreath = 0;
            await new Promise((resolve) => setImmediate(resolve));
          }
          if (lines.length > 2 * tailLimit) lines = lines.slice(-tailLimit);
          dirty = true;
        }
        if (controller.signal.aborted) return;
        flush();
        setTail((previous) => ({ ...previous, ended: true }));
      } catch (error) {
        if (!controller.signal.aborted) setTail((previous) => ({ ...previous, error }));
      }
    })();
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [experiment, job, flushMs]);
  return tail;
}
