import { join } from "node:path";
import { readJsonObject, writeJsonObject } from "../../format/json-file.js";

/**
 * The batches a run folder already took, `(clientId, seq)`, in `.labrun-batches.json` beside experiment.json:
 * per client, ranges `[first, last]` of the sequence numbers stored, so a retried batch is stored once.
 */
export class BatchLedger {
  readonly #file: string;
  readonly #clients: Record<string, [number, number][]>;

  constructor(dir: string) {
    this.#file = join(dir, ".labrun-batches.json");
    const raw = readJsonObject(this.#file, () => undefined);
    this.#clients = (raw?.clients ?? {}) as Record<string, [number, number][]>;
  }

  has(clientId: string, seq: number): boolean {
    return (this.#clients[clientId] ?? []).some(([a, b]) => seq >= a && seq <= b);
  }

  add(clientId: string, seq: number): void {
    const ranges = [...(this.#clients[clientId] ?? []), [seq, seq] as [number, number]].sort(
      (x, y) => x[0] - y[0],
    );
    const merged: [number, number][] = [];
    for (const range of ranges) {
      const last = merged[merged.length - 1];
      if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
      else merged.push([range[0], range[1]]);
    }
    this.#clients[clientId] = merged;
    writeJsonObject(this.#file, { clients: this.#clients });
  }
}
