import { encodeJson } from "../format/json-codec.js";
import { mergeParams, type FlatParams } from "./params.js";

/**
 * parameters.json's writes that the disk refused: the parameters set since the last write that landed,
 * merged in the order of the calls, written with one atomic replace (temp + rename) when the disk takes it.
 */
export class ParamsWriter {
  readonly #dir: string;
  #pending: FlatParams | undefined;
  #count = 0;
  #size = 0;

  constructor(runDir: string) {
    this.#dir = runDir;
  }

  /** `params.set` calls not written yet. */
  get pendingCount(): number {
    return this.#count;
  }

  get pendingSize(): number {
    return this.#size;
  }

  /** The parameters waiting to be written (undefined when none). */
  get pending(): Readonly<FlatParams> | undefined {
    return this.#pending;
  }

  add(flat: Readonly<FlatParams>): number {
    this.#pending = { ...this.#pending, ...flat };
    this.#count++;
    const size = encodeJson(flat).length;
    this.#size += size;
    return size;
  }

  /** Writes what waits; throws the I/O error of a refused write, keeping it queued. */
  flush(): void {
    if (this.#pending === undefined) return;
    mergeParams(this.#dir, this.#pending);
    this.discard();
  }

  discard(): number {
    const count = this.#count;
    this.#pending = undefined;
    this.#count = 0;
    this.#size = 0;
    return count;
  }
}

/** A stored file's write (copy + record), done again as a whole until it lands; it cleans up after a failure. */
export interface FileSave {
  /** `<folder>/<filename>`: a later save of the same name replaces a waiting one. */
  readonly key: string;
  /** Bytes held in memory for it (0 for a file copied from a path). */
  readonly size: number;
  write(): void;
}

/** Stored files whose write the disk refused, in the order of the calls. */
export class FileSaveQueue {
  #saves: FileSave[] = [];

  get pendingCount(): number {
    return this.#saves.length;
  }

  get pendingSize(): number {
    let size = 0;
    for (const save of this.#saves) size += save.size;
    return size;
  }

  /** Queues a save; a waiting save of the same name is replaced by it (not lost: superseded). */
  add(save: FileSave): void {
    this.#saves = this.#saves.filter((waiting) => waiting.key !== save.key);
    this.#saves.push(save);
  }

  /** Writes the waiting saves in order; throws at the first one refused, keeping it and those after it. */
  flush(): void {
    while (this.#saves.length > 0) {
      this.#saves[0]!.write();
      this.#saves.shift();
    }
  }

  discard(): number {
    const count = this.#saves.length;
    this.#saves = [];
    return count;
  }
}
