import { UnknownKindError } from "../errors.js";

/**
 * Rebuilds objects from their JSON config by `kind` (tasks and executors are stored in job.json this way
 * and reopened by other processes: the supervisor, `labrun experiment …`).
 */
export class KindRegistry<C extends { readonly kind: string }, T> {
  readonly #factories = new Map<string, (config: C) => T>();

  constructor(readonly what: "task" | "executor") {}

  register(kind: string, factory: (config: C) => T): void {
    this.#factories.set(kind, factory);
  }

  fromConfig(config: C): T {
    const factory = this.#factories.get(config.kind);
    if (!factory) throw new UnknownKindError(this.what, config.kind);
    return factory(config);
  }
}
