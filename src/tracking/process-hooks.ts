/**
 * What happens to open runs when the process ends: every open run is flushed and given a final status.
 * - SIGINT / SIGTERM: CANCELLED (reason: the signal). If nothing else listens to that signal, the process
 *   then dies of it as it would have without labrun. If the program has its own handler, it decides when
 *   to exit; the runs keep taking data (a checkpoint logged while shutting down is kept) until then.
 * - exit with code 0: COMPLETED; with another code or after an uncaught exception: FAILED. (A run already
 *   CANCELLED by a signal stays CANCELLED: the first final status wins.)
 * The listeners are installed while at least one run is open, and removed after.
 */
export interface ProcessBoundRun {
  /** Flush and set the final status; must be synchronous (it runs in `exit` and signal handlers). */
  endWithProcess(outcome: ProcessOutcome): void;
}

export type ProcessOutcome =
  | { readonly kind: "signal"; readonly signal: "SIGINT" | "SIGTERM" }
  | { readonly kind: "exit"; readonly code: number; readonly error: unknown };

const open = new Set<ProcessBoundRun>();
let uncaught: unknown;
let installed = false;

function endAll(outcome: ProcessOutcome): void {
  for (const run of [...open]) {
    try {
      run.endWithProcess(outcome);
    } catch (error) {
      process.stderr.write(`labrun: could not close a run while the process ends: ${String(error)}\n`);
    }
  }
  open.clear();
}

function onSignal(signal: "SIGINT" | "SIGTERM"): void {
  // Our listener replaced Node's default action; without other listeners, die of the signal as usual.
  const alone = process.listenerCount(signal) === 1;
  for (const run of [...open]) {
    try {
      run.endWithProcess({ kind: "signal", signal });
    } catch (error) {
      process.stderr.write(`labrun: could not cancel a run on ${signal}: ${String(error)}\n`);
    }
  }
  if (alone) {
    open.clear();
    uninstall();
    process.kill(process.pid, signal);
  }
}

const onSigint = () => onSignal("SIGINT");
const onSigterm = () => onSignal("SIGTERM");
const onExit = (code: number) => endAll({ kind: "exit", code, error: uncaught });
const onUncaught = (error: unknown) => {
  uncaught = error;
};

function install(): void {
  if (installed) return;
  installed = true;
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  process.on("exit", onExit);
  process.on("uncaughtExceptionMonitor", onUncaught);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigterm);
  process.off("exit", onExit);
  process.off("uncaughtExceptionMonitor", onUncaught);
}

export function bindToProcess(run: ProcessBoundRun): void {
  open.add(run);
  install();
}

export function unbindFromProcess(run: ProcessBoundRun): void {
  open.delete(run);
  if (open.size === 0) uninstall();
}
