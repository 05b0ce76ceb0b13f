import { ExperimentStateError, ServiceStartError } from "../../errors.js";
import { asService } from "./service.js";
import type { PlainService, Service, ServiceListener } from "./service.js";
import { writeServicesRecord } from "./services-record.js";

interface Entry {
  readonly given: Service | PlainService;
  readonly service: Service;
  readonly started: Promise<void>;
  /** Its start failure was thrown by startedAll(): don't warn about it again. */
  reported?: boolean;
}

/**
 * The services of one experiment run: started when added (when `autoStart`), recorded in services.json
 * once the experiment has a directory (again at every state change), stopped last added first.
 */
export class ServiceSet {
  readonly #autoStart: boolean;
  readonly #entries = new Map<string, Entry>();
  readonly #changed = new Set<() => void>();
  #dir: string | undefined;
  readonly #listener: ServiceListener = {
    serviceStateChanged: () => {
      this.#record();
      for (const wake of [...this.#changed]) wake();
    },
  };

  constructor(options: { autoStart: boolean }) {
    this.#autoStart = options.autoStart;
  }

  add(given: Service | PlainService): Service {
    if (this.#entries.has(given.id))
      throw new ExperimentStateError(
        `A service with id "${given.id}" was already added; give each service its own id.`,
      );
    const service = asService(given);
    service.addListener(this.#listener);
    const started = this.#autoStart ? Promise.resolve().then(() => service.start()) : Promise.resolve();
    // A failed start is reported by startedAll(); don't let it go unhandled meanwhile.
    started.catch(() => undefined);
    this.#entries.set(given.id, { given, service, started });
    this.#record();
    return service;
  }

  /** The objects added, as given. */
  get added(): readonly (Service | PlainService)[] {
    return [...this.#entries.values()].map((entry) => entry.given);
  }

  get services(): readonly Service[] {
    return [...this.#entries.values()].map((entry) => entry.service);
  }

  /** The services not STOPPED. */
  get running(): readonly Service[] {
    return this.services.filter((service) => service.state !== "STOPPED");
  }

  /** Waits for every service to have started; throws the first failure. */
  async startedAll(): Promise<void> {
    await Promise.all(
      [...this.#entries.values()].map((entry) =>
        entry.started.catch((error: unknown) => {
          entry.reported = true;
          throw new ServiceStartError(entry.service.id, error);
        }),
      ),
    );
  }

  /** Records the services in `dir`/services.json from now on. */
  recordIn(dir: string): void {
    this.#dir = dir;
    this.#record();
  }

  /** Resolves once every service is STOPPED, or when `signal` aborts. */
  async whileRunning(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!signal.aborted && this.running.length > 0) return;
        this.#changed.delete(check);
        signal.removeEventListener("abort", check);
        resolve();
      };
      this.#changed.add(check);
      signal.addEventListener("abort", check);
      check();
    });
  }

  /** Stops the services, last added first; a failing stop does not keep the others running. */
  async stopAll(warn: (message: string) => void): Promise<void> {
    if (!this.#autoStart) return; // none was started
    for (const entry of [...this.#entries.values()].reverse()) {
      const { service, started } = entry;
      try {
        await started;
      } catch (error) {
        if (!entry.reported) warn(`Service ${service.id} failed to start: ${(error as Error).message}`);
        continue;
      }
      try {
        await service.stop();
      } catch (error) {
        warn(`Service ${service.id} failed to stop: ${(error as Error).message}`);
      }
    }
  }

  #record(): void {
    if (!this.#dir) return;
    try {
      writeServicesRecord(this.#dir, this.services);
    } catch (error) {
      // The record is for `status`; failing to write it must not stop a service.
      process.emitWarning(`Could not write services.json: ${(error as Error).message}`);
    }
  }
}
