/** A set of callbacks with an unsubscribe handle; what executors use to wake the scheduler. */
export class Listeners {
  readonly #callbacks = new Set<() => void>();

  add(callback: () => void): () => void {
    this.#callbacks.add(callback);
    return () => this.#callbacks.delete(callback);
  }

  emit(): void {
    for (const callback of this.#callbacks) callback();
  }
}
