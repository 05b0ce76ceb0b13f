import { resolve } from "node:path";
import { startSystemMetrics } from "./system/run-system-metrics.js";
import { NoCurrentRunError, RunStateError, TrackingValueError } from "../errors.js";
import type { JsonFields, JsonValue } from "./json-codec.js";
import { checkLogLevel, type RunLogLevel } from "./log-writer.js";
import { defaultRunsRoot, parsePrefix, runDirFor, type ParsedPrefix } from "./names.js";
import { Params } from "./params.js";
import { bindToProcess, unbindFromProcess, type ProcessOutcome } from "./process-hooks.js";
import { RunFiles } from "./run-files.js";
import { RunLifecycle } from "./run-lifecycle.js";
import { RunReader, type OpenOptions } from "./run-reader.js";
import { readRunRecord, type RunStatus } from "./run-record.js";
import { RunSink } from "./run-sink.js";
import { Logs, createMetrics, createTracks, type Metrics, type Tracks } from "./run-streams.js";

export interface RunInit {
  /** `owner/project/path.../name`; the run's folder is `<root>/<prefix>`. */
  readonly prefix: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly bindrs?: readonly string[];
  /** Free-form metadata stored in experiment.json. */
  readonly metadata?: Record<string, JsonValue>;
  /** Folder of runs; default `$LABRUN_RUNS`, else `<$LABRUN_HOME or ~/.labrun>/runs`. */
  readonly root?: string;
  /** The run's folder itself, instead of `<root>/<prefix>` (how a launched job's run is bound). */
  readonly dir?: string;
  /** Append to the run without owning its status (no RUNNING/COMPLETED, no heartbeat, no signal handling). */
  readonly attach?: boolean;
  /** Write buffered lines at least this often; default 1000 ms. */
  readonly flushIntervalMs?: number;
  /** Write buffered lines once this many characters wait; default 1 MiB. */
  readonly flushBytes?: number;
  /** How often the owner refreshes `heartbeatAt`; default 15 s. */
  readonly heartbeatIntervalSec?: number;
  /**
   * Sample CPU, memory, disk, network, GPUs (where `nvidia-smi` exists) and this process into the `system`
   * stream while the run is open: `true` every 10 s, or `{ intervalMs }`. Launched jobs need not ask: the
   * driver samples them.
   */
  readonly systemMetrics?: boolean | { readonly intervalMs: number };
}

export interface LogOptions {
  /** debug | info (default) | warn | error | fatal. */
  readonly level?: RunLogLevel | string;
  /** Fields stored as the record's metadata (merged with the other options). */
  readonly metadata?: JsonFields;
  readonly [field: string]: JsonValue | JsonFields | undefined;
}

// Owners open in this process, by folder: a second owner of the same run here would be a bug. Attached
// writers (output capture, the CLI) are guests and may share a run with its owner.
const ownedRuns = new Map<string, Run>();
let current: Run | undefined;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0))
    throw new TrackingValueError(`${name} must be a positive number.`);
  return value;
}

/**
 * A tracked run: parameters, metrics, logs, tracks and files under one prefix, in ML-Dash's local layout
 * (docs/tracking-format.md). Creating it opens the run (RUNNING); opening an existing prefix appends to it.
 * End it with `complete()` / `fail(error)` / `cancel()`, with `await using`, or run code in `tracked()`,
 * which also records an exception as FAILED.
 *
 * @example
 * await using run = new Run({ prefix: `${RUN.user}/vision/resnet`, tags: ["baseline"] });
 * run.params.set({ lr: 1e-3, model: { depth: 50 } });
 * for (let step = 0; step < 100; step++) run.metrics("train").log({ loss: 1 / (step + 1), step });
 * await run.files("models").save("model.pt");
 */
export class Run {
  readonly prefix: string;
  readonly owner: string;
  readonly project: string;
  readonly name: string;
  /** The run's folder. */
  readonly dir: string;
  readonly options: Readonly<RunInit>;
  readonly params: Params;
  readonly logs: Logs;
  readonly metrics: Metrics;
  readonly tracks: Tracks;
  readonly #lifecycle: RunLifecycle;
  readonly #parsed: ParsedPrefix;
  #sink: RunSink | undefined;
  #fileQueue: Promise<void> = Promise.resolve();
  #stopSystemMetrics: (() => void) | undefined;
  readonly #processBinding = { endWithProcess: (outcome: ProcessOutcome) => this.#endWithProcess(outcome) };

  constructor(options: RunInit) {
    this.options = Object.freeze({
      ...options,
      tags: options.tags && [...options.tags],
      bindrs: options.bindrs && [...options.bindrs],
    });
    this.#parsed = parsePrefix(options.prefix);
    this.prefix = this.#parsed.prefix;
    this.owner = this.#parsed.owner;
    this.project = this.#parsed.project;
    this.name = this.#parsed.name;
    this.dir =
      options.dir !== undefined
        ? resolve(options.dir)
        : runDirFor(options.root ?? defaultRunsRoot(), this.prefix);
    this.#lifecycle = new RunLifecycle(this.dir, this.#parsed, {
      owner: !options.attach,
      heartbeatIntervalSec: positive("heartbeatIntervalSec", options.heartbeatIntervalSec, 15),
    });
    positive("flushIntervalMs", options.flushIntervalMs, 1);
    positive("flushBytes", options.flushBytes, 1);
    const sink = () => this.#openSink();
    this.params = new Params(this.dir, () => void this.#openSink());
    this.logs = new Logs(sink);
    this.metrics = createMetrics(sink);
    this.tracks = createTracks(sink);
    this.start();
  }

  /**
   * The run of the job this process was launched as: labrun sets LABRUN_RUN_DIR (its folder) and
   * LABRUN_RUN_PREFIX. Throws NoCurrentRunError outside a launched job. The same Run on every call.
   */
  static current(options: Omit<RunInit, "prefix" | "dir" | "root"> = {}): Run {
    const dir = process.env.LABRUN_RUN_DIR;
    if (!dir) throw new NoCurrentRunError();
    if (current && current.isOpen && current.dir === resolve(dir)) return current;
    const recorded = readRunRecord(resolve(dir))?.prefix;
    const prefix =
      process.env.LABRUN_RUN_PREFIX ||
      (typeof recorded === "string" && recorded !== ""
        ? recorded
        : `${process.env.LABRUN_USER || process.env.USER || "user"}/jobs/run`);
    current = new Run({ ...options, prefix, dir });
    return current;
  }

  /** A run for reading (params, status, metrics, logs, files), by prefix or by folder. */
  static open(prefix: string, options?: OpenOptions): RunReader;
  static open(options: OpenOptions & { readonly dir: string }): RunReader;
  static open(
    prefixOrOptions: string | (OpenOptions & { readonly dir: string }),
    options: OpenOptions = {},
  ): RunReader {
    return typeof prefixOrOptions === "string"
      ? RunReader.open(prefixOrOptions, options)
      : RunReader.openDir(prefixOrOptions.dir);
  }

  /** RUNNING until the run ends, then its final status. */
  get status(): RunStatus {
    return this.#lifecycle.status ?? "RUNNING";
  }

  get isOpen(): boolean {
    return this.#sink !== undefined;
  }

  /** Opens the run (done by the constructor; calling it again does nothing). */
  start(): this {
    if (this.#sink) return this;
    if (this.#lifecycle.status !== undefined) {
      throw new RunStateError(
        `Run ${this.prefix} has ended (${this.status}); create a new Run to append to it.`,
      );
    }
    if (!this.options.attach && ownedRuns.has(this.dir)) {
      throw new RunStateError(`Run ${this.prefix} is already open in this process; use that Run object.`, {
        details: { dir: this.dir },
      });
    }
    this.#lifecycle.open(this.options);
    if (!this.options.attach) ownedRuns.set(this.dir, this);
    this.#sink = new RunSink(this.dir, {
      flushIntervalMs: this.options.flushIntervalMs ?? 1000,
      flushBytes: this.options.flushBytes ?? 1024 * 1024,
      afterFlush: (now) => this.#lifecycle.beat(now),
    });
    bindToProcess(this.#processBinding);
    const system = this.options.systemMetrics;
    if (system) {
      const intervalMs =
        system === true ? 10_000 : positive("systemMetrics.intervalMs", system.intervalMs, 10_000);
      this.#stopSystemMetrics = startSystemMetrics(
        (record) => this.#sink && this.metrics("system").log(record),
        {
          intervalMs,
          diskPath: this.dir,
        },
      );
    }
    return this;
  }

  /**
   * Logs a message. Options other than `level` and `metadata` are stored as metadata too.
   *
   * @example run.log("checkpoint saved", { level: "info", epoch: 3 });
   */
  log(message: string, options: LogOptions = {}): void {
    const { level, metadata, ...extra } = options;
    const fields = metadata === undefined ? extra : { ...metadata, ...extra };
    this.#openSink().log(checkLogLevel(level ?? "info"), message, fields as JsonFields);
  }

  /** A folder of stored files (`run.files("models").save("model.pt")`); no folder: the run's root. */
  files(folder?: string): RunFiles {
    this.#openSink();
    return new RunFiles(this.dir, folder, {
      experimentId: `${this.project}/${this.prefix}`,
      serial: (task) => (this.#fileQueue = this.#fileQueue.then(task, task)),
    });
  }

  /** Writes everything buffered now. */
  async flush(): Promise<void> {
    this.#openSink().flush();
  }

  /** Ends the run as COMPLETED (after flushing). Does nothing once the run has ended. */
  async complete(): Promise<void> {
    await this.#end((lifecycle) => lifecycle.markCompleted());
  }

  /** Ends the run as FAILED, recording the error. Does nothing once the run has ended. */
  async fail(error?: unknown): Promise<void> {
    await this.#end((lifecycle) => lifecycle.markFailed(error, error instanceof Error ? null : "failed"));
  }

  /** Ends the run as CANCELLED. Does nothing once the run has ended. */
  async cancel(reason: string | null = "cancelled"): Promise<void> {
    await this.#end((lifecycle) => lifecycle.markCancelled(reason));
  }

  /** `await using run = new Run(...)`: completes the run (use `tracked()` to record exceptions as FAILED). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.complete();
  }

  #openSink(): RunSink {
    if (this.#sink) return this.#sink;
    throw new RunStateError(`Run ${this.prefix} has ended (${this.status}): it takes no more data.`, {
      details: { prefix: this.prefix, status: this.status },
    });
  }

  async #end(mark: (lifecycle: RunLifecycle) => void): Promise<void> {
    await this.#fileQueue;
    this.#close(mark);
  }

  #close(mark: (lifecycle: RunLifecycle) => void): void {
    const sink = this.#sink;
    if (!sink) return;
    this.#sink = undefined;
    this.#stopSystemMetrics?.();
    this.#stopSystemMetrics = undefined;
    if (ownedRuns.get(this.dir) === this) ownedRuns.delete(this.dir);
    unbindFromProcess(this.#processBinding);
    try {
      sink.close();
    } finally {
      mark(this.#lifecycle);
    }
  }

  #endWithProcess(outcome: ProcessOutcome): void {
    if (outcome.kind === "signal") {
      // Flushed and CANCELLED, but still open: the program may log while it shuts down; exit closes it.
      this.#sink?.flush();
      this.#lifecycle.markCancelled(outcome.signal);
    } else if (outcome.code === 0 && outcome.error === undefined) {
      this.#close((lifecycle) => lifecycle.markCompleted("process exited while the run was open"));
    } else {
      const reason = outcome.error !== undefined ? "uncaught exception" : `exit code ${outcome.code}`;
      this.#close((lifecycle) => lifecycle.markFailed(outcome.error, reason));
    }
  }
}
