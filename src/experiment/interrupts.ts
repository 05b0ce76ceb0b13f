import type { Job } from "../scheduler/job.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { ConsoleReporter } from "./console-reporter.js";

const cancelDelayMs = 2000;

/**
 * Ctrl-C in an attached run: the first cancels the unfinished jobs after a short delay, and a second one
 * within that delay leaves them running detached instead. SIGTERM cancels at once.
 */
export function handleInterrupts(
  scheduler: Scheduler,
  jobs: readonly Job[],
  reporter: ConsoleReporter,
): { dispose(): void; readonly detachRequested: boolean } {
  let count = 0;
  let detachRequested = false;
  let pending: NodeJS.Timeout | undefined;
  const unfinished = () => jobs.filter((job) => !job.isTerminal).map((job) => job.name);
  const onInterrupt = () => {
    count++;
    if (count === 1) {
      reporter.log(
        "WARN",
        `Interrupted: cancelling ${unfinished().length} unfinished job(s) in ${cancelDelayMs / 1000} s. ` +
          "Press Ctrl-C again to leave them running detached instead.",
      );
      pending = setTimeout(() => {
        pending = undefined; // cancelling has begun: a later Ctrl-C no longer detaches
        void scheduler.cancel(unfinished(), "cancelled by Ctrl-C");
      }, cancelDelayMs);
    } else if (count === 2 && pending) {
      clearTimeout(pending);
      detachRequested = true;
      scheduler.stop();
    }
  };
  const onTerminate = () => void scheduler.cancel(unfinished(), "cancelled: the driver received SIGTERM");
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onTerminate);
  return {
    dispose: () => {
      clearTimeout(pending);
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onTerminate);
    },
    get detachRequested() {
      return detachRequested;
    },
  };
}
