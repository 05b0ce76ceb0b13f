import { ExperimentStateError } from "../../errors.js";

const brand = Symbol.for("labrun.service");

/** The states of a service (experimaestro's `ServiceState`). */
export const serviceStates = ["STOPPED", "STARTING", "RUNNING", "STOPPING"] as const;
export type ServiceState = (typeof serviceStates)[number];

/** Told of every state change of the services it listens to (experimaestro's `ServiceListener`). */
export interface ServiceListener {
  serviceStateChanged(service: Service, previous: ServiceState): void;
}

/**
 * A long-running helper of an experiment, such as a dashboard or a file server (experimaestro's `Service`).
 * Subclasses give an `id` and implement `onStart`/`onStop`; `start()` and `stop()` move the service through
 * STOPPED → STARTING → RUNNING → STOPPING → STOPPED and tell the listeners of each step. A service that ends
 * by itself (its server crashed) calls `markStopped()`.
 *
 * Deliberately left out: restarts, health checks and ports chosen by labrun; a service owns its resources.
 *
 * @example
 * class Tensorboard extends Service {
 *   readonly id = "tensorboard";
 *   #child?: ChildProcess;
 *   protected onStart() { this.#child = spawn("tensorboard", ["--logdir", dir]); }
 *   protected onStop() { this.#child?.kill(); }
 * }
 * helper.addService(new Tensorboard());
 */
export abstract class Service {
  abstract readonly id: string;
  readonly [brand] = true;
  #state: ServiceState = "STOPPED";
  readonly #listeners = new Set<ServiceListener>();
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  get state(): ServiceState {
    return this.#state;
  }

  /** One line saying what the service is, shown by `labrun experiment status`; default its id. */
  description(): string {
    return this.id;
  }

  addListener(listener: ServiceListener): void {
    this.#listeners.add(listener);
  }

  removeListener(listener: ServiceListener): void {
    this.#listeners.delete(listener);
  }

  /**
   * Starts the service (STOPPED → STARTING → RUNNING). Starting a RUNNING service does nothing; while it is
   * STARTING, every caller waits for the same start. A failed start leaves it STOPPED and throws.
   */
  start(): Promise<void> {
    if (this.#state === "RUNNING") return Promise.resolve();
    if (this.#state === "STARTING") return this.#starting!;
    if (this.#state === "STOPPING") return this.#stopping!.then(() => this.start());
    this.markStarting();
    this.#starting = (async () => {
      try {
        await this.onStart();
      } catch (error) {
        if (this.#state !== "STOPPED") this.markStopped();
        throw error;
      }
      // onStart may have seen the service end already (markStopped): then it stays STOPPED.
      if (this.#state === "STARTING") this.markRunning();
    })();
    return this.#starting;
  }

  /** Stops the service (RUNNING → STOPPING → STOPPED); a STOPPED service is left alone. */
  async stop(): Promise<void> {
    if (this.#state === "STARTING") await this.#starting!.catch(() => undefined);
    if (this.#state === "STOPPED") return;
    if (this.#state === "STOPPING") return this.#stopping!;
    this.markStopping();
    this.#stopping = (async () => {
      try {
        await this.onStop();
      } finally {
        if (this.#state !== "STOPPED") this.markStopped();
      }
    })();
    return this.#stopping;
  }

  /** Acquires what the service needs (listens on a port, spawns a process). */
  protected abstract onStart(): Promise<void> | void;
  /** Releases it. Called once, from RUNNING. */
  protected abstract onStop(): Promise<void> | void;

  protected markStarting(): void {
    this.#transition(["STOPPED"], "STARTING");
  }

  protected markRunning(): void {
    this.#transition(["STARTING"], "RUNNING");
  }

  protected markStopping(): void {
    this.#transition(["RUNNING"], "STOPPING");
  }

  /** From any other state: a service may end by itself, while it starts or runs. */
  protected markStopped(): void {
    this.#transition(["STARTING", "RUNNING", "STOPPING"], "STOPPED");
  }

  #transition(from: readonly ServiceState[], to: ServiceState): void {
    const previous = this.#state;
    if (!from.includes(previous))
      throw new ExperimentStateError(
        `Service ${this.id} cannot go from ${previous} to ${to} (only from ${from.join(" or ")}).`,
      );
    this.#state = to;
    for (const listener of [...this.#listeners]) {
      try {
        listener.serviceStateChanged(this, previous);
      } catch (error) {
        // A listener must not break the service it watches; say so and go on.
        process.emitWarning(
          `A listener of service ${this.id} failed on ${previous} → ${to}: ${(error as Error).message}`,
        );
      }
    }
  }
}

/**
 * The plain form `addService` also takes: an object with an `id` and optional `start()`/`stop()`.
 */
export interface PlainService {
  readonly id: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  description?(): string;
}

/** A plain object as a `Service`, so that it has states and listeners like the others. */
export class PlainServiceAdapter extends Service {
  readonly id: string;
  readonly #plain: PlainService;

  constructor(plain: PlainService) {
    super();
    this.id = plain.id;
    this.#plain = plain;
  }

  override description(): string {
    return this.#plain.description?.() ?? this.id;
  }

  protected async onStart(): Promise<void> {
    await this.#plain.start?.();
  }

  protected async onStop(): Promise<void> {
    await this.#plain.stop?.();
  }
}

/** True for services of any copy of labrun (an experiment file may load its own copy). */
export function isService(value: unknown): value is Service {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** The service itself, or a plain object wrapped in one. */
export function asService(service: Service | PlainService): Service {
  return isService(service) ? service : new PlainServiceAdapter(service);
}
