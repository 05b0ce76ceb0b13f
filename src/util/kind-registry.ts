import { UnknownKindError } from "../errors.js";

/**
 * Rebuilds objects from their JSON config by `kind` (tasks and executors are stored in job.json this way
 * and reopened by other processes: the supervisor, `labrun experiment …`). The built-in kinds are a static
 * table given at construction, so every process resolves them without registering anything; `register`
 * adds a custom kind (or replaces a built-in one) in the process that calls it.
 */
export class KindRegistry<C extends { readonly kind: string }, T> {
  readonly #builtins: Readonly<Record<string, (config: C) => T>>;
  readonly #custom = new Map<string, (config: C) => T>();

  constructor(
    readonly what: "task" | "executor",
    builtins: Readonly<Record<string, (config: C) => T>>,
  ) {
    this.#builtins = builtins;
  }

  register(kind: string, factory: (config: C) => T): void {
    this.#custom.set(kind, factory);
  }

  /** The built-in kinds, in the table's order. */
  get builtinKinds(): readonly string[] {
    return Object.keys(this.#builtins);
  }

  fromConfig(config: C): T {
    const factory =
      this.#custom.get(config.kind) ??
      (Object.hasOwn(this.#builtins, config.kind) ? this.#builtins[config.kind] : undefined);
    if (!factory) throw new UnknownKindError(this.what, config.kind);
    return factory(config);
  }
}
