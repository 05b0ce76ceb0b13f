import type { ServiceSet } from "./service-set.js";
import { serviceUrl } from "./web-service.js";

/**
 * When services kept up after the jobs should stop: on Ctrl-C (SIGINT) or SIGTERM, or when the caller's
 * signal aborts. Signals are watched from the launch on, so that a Ctrl-C meant for the jobs also means
 * "don't keep the services up afterwards"; the driver's own Ctrl-C handling (cancel, detach) is untouched.
 */
export class StopRequest {
  readonly #controller = new AbortController();
  readonly #fromSignals: boolean;
  #watching = false;
  #forceExit = false;

  constructor(wait: true | AbortSignal) {
    this.#fromSignals = wait === true;
    if (wait !== true) {
      if (wait.aborted) this.#controller.abort();
      else wait.addEventListener("abort", () => this.#controller.abort(), { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True when Ctrl-C stops the services (rather than the caller's signal). */
  get fromSignals(): boolean {
    return this.#fromSignals;
  }

  /** Starts listening to SIGINT and SIGTERM (once). */
  watch(): void {
    if (!this.#fromSignals || this.#watching) return;
    this.#watching = true;
    process.on("SIGINT", this.#onSignal);
    process.on("SIGTERM", this.#onSignal);
  }

  /** From now on (waiting for or stopping the services), a second Ctrl-C exits at once. */
  armForceExit(): void {
    this.#forceExit = true;
  }

  dispose(): void {
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
    this.#watching = false;
  }

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    if (this.#controller.signal.aborted && this.#forceExit) process.exit(signal === "SIGINT" ? 130 : 143);
    this.#controller.abort();
  };
}

/** Waits while services run, after the jobs: until Ctrl-C (or the caller's signal), or until they all stop. */
export async function keepServicesUp(services: ServiceSet, stopRequest: StopRequest): Promise<boolean> {
  if (services.running.length === 0 || stopRequest.signal.aborted) return false;
  stopRequest.watch();
  stopRequest.armForceExit();
  if (stopRequest.fromSignals) {
    const lines = services.running.map(
      (service) => `  ${service.id}  ${serviceUrl(service) ?? service.description()}`,
    );
    process.stderr.write(
      `The jobs have ended; ${lines.length} service(s) still running:\n${lines.join("\n")}\n` +
        "Press Ctrl-C to stop them and exit.\n",
    );
  }
  await services.whileRunning(stopRequest.signal);
  return true;
}
