import { Worker } from "node:worker_threads";
import type { Workspace } from "../../workspace/workspace.js";
import { readExperimentRows } from "./experiment-rows.js";
import type { ExperimentRow } from "./experiment-rows.js";

/** What the worker sends back for one reading of the list. */
export type RowsReply =
  | { readonly rows: ExperimentRow[]; readonly warnings: string[] }
  | { readonly error: string; readonly warnings: string[] };

/**
 * Reads the experiments list in a worker thread: bringing the index up to date with ten thousand experiments
 * takes a few hundred milliseconds, which would otherwise freeze the keys each time the list is refreshed.
 * Where the worker cannot start (the sources run without being built), it reads in this thread.
 */
export class RowsReader {
  readonly #workspace: Workspace;
  #worker: Worker | undefined;
  #inThread = false;
  #waiting: ((reply: RowsReply) => void) | undefined;

  constructor(workspace: Workspace) {
    this.#workspace = workspace;
  }

  /** The experiments, newest first, and the warnings of this reading. */
  async read(): Promise<{ rows: ExperimentRow[]; warnings: string[] }> {
    const reply = this.#start() ? await this.#ask() : this.#readHere();
    if ("error" in reply) throw new Error(reply.error);
    return reply;
  }

  close(): void {
    void this.#worker?.terminate();
    this.#worker = undefined;
  }

  #start(): boolean {
    if (this.#worker || this.#inThread) return !this.#inThread;
    const url = new URL("./experiment-rows-worker.js", import.meta.url);
    if (!url.pathname.endsWith(".js") || !import.meta.url.endsWith(".js")) {
      this.#inThread = true;
      return false;
    }
    this.#worker = new Worker(url, { workerData: { root: this.#workspace.root } });
    this.#worker.unref();
    this.#worker.on("message", (reply: RowsReply) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.(reply);
    });
    this.#worker.on("error", (error) => {
      this.#worker = undefined;
      this.#inThread = true;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.(this.#readHere(`the list's worker thread stopped (${error.message}); reading here`));
    });
    return true;
  }

  #ask(): Promise<RowsReply> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#worker!.postMessage("read");
    });
  }

  #readHere(warning?: string): RowsReply {
    const warnings = warning ? [warning] : [];
    try {
      return { rows: readExperimentRows(this.#workspace, (message) => warnings.push(message)), warnings };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error), warnings };
    }
  }
}
