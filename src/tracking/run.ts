import { resolve } from "node:path";
import { startSystemMetrics } from "./system/run-system-metrics.js";
import { NoCurrentRunError, RunStateError, TrackingValueError } from "../errors.js";
import type { JsonFields, JsonValue } from "../format/json-codec.js";
import { checkLogLevel, type RunLogLevel } from "../format/log-writer.js";
import { defaultRunsRoot, parsePrefix, runDirFor, type ParsedPrefix } from "../format/names.js";
import { Params } from "./params.js";
import { bindToProcess, unbindFromProcess, type ProcessOutcome } from "./process-hooks.js";
import { RunFiles } from "./run-files.js";
import { RunLifecycle } from "./run-lifecycle.js";
import { RunReader, type OpenOptions } from "./run-reader.js";
import { readRunRecord, type RunStatus } from "../format/run-record.js";
import { RunSink, type WriteStatus } from "./run-sink.js";
import { Logs, createMetrics, createTracks, type Metrics, type Tracks } from "./run-streams.js";
import type { FileRecord } from "./run-files.js";
import { RemoteFiles } from "./remote/remote-files.js";
import { BothLifecycles, RemoteLifecycle, type Lifecycle } from "./remote/remote-lifecycle.js";
import { RemoteSession, remoteTarget, type RemoteOptions, type RemoteTarget } from "./remote/remote-mode.js";
import { RemoteParams } from "./remote/remote-params.js";
import type { RemoteStatus } from "./remote/remote-status.js";
import { TeeSink, type TrackingSink } from "./remote/tracking-sink.js";

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
  /**
   * While the disk refuses writes (full), keep at most this many characters queued in memory; records
   * logged beyond are dropped and counted as lost (`writeStatus()`). Default 256 MiB.
   */
  readonly maxQueuedBytes?: number;
  /** How often the owner refreshes `heartbeatAt`; default 15 s. */
  readonly heartbeatIntervalSec?: number;
  /**
   * Sample CPU, memory, disk, network, GPUs (where `nvidia-smi` exists) and this process into the `system`
   * stream while the run is open: `true` every 10 s, or `{ intervalMs }`. Launched jobs need not ask: the
   * driver samples them.
   */
  readonly systemMetrics?: boolean | { readonly intervalMs: number };
  /**
   * Remote mode: the labrun server (`labrun serve`) to send the run to, e.g. `"http://127.0.0.1:4400"`.
   * Default `$LABRUN_URL`; `false` keeps the run local even when LABRUN_URL is set.
   */
  readonly url?: string | false;
  /** Bearer token for the server (`labrun token create`); default `$LABRUN_TOKEN`. */
  readonly token?: string;
  /**
   * In remote mode, also write the run's local folder. Default false (the server only), except for a run
   * given its folder with `dir` (launched jobs): it keeps writing it.
   */
  readonly local?: boolean;
  /** Batching, retry and buffer settings of remote mode. */
  readonly remote?: RemoteOptions;
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
  readonly #lifecycle: Lifecycle;
  readonly #localLifecycle: RunLifecycle;
  #localSink: RunSink | undefined;
  #lastLocalSink: RunSink | undefined;
  readonly #parsed: ParsedPrefix;
  readonly #target: RemoteTarget | undefined;
  readonly #alsoLocal: boolean;
  #remote: RemoteSession | undefined;
  #lastRemote: RemoteSession | undefined;
  readonly #remoteFiles: FileRecord[] = [];
  #sink: TrackingSink | undefined;
  #fileQueue: Promise<void> = Promise.resolve();
  // Remote saves, one after the other (uploads queued in the order of the calls); apart from #fileQueue,
  // which a local save inside a remote one waits on.
  #saveQueue: Promise<void> = Promise.resolve();
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
    this.#target = remoteTarget(options);
    // A run bound to a folder (a launched job's) keeps writing it in remote mode: the launcher reads it.
    this.#alsoLocal = options.local ?? options.dir !== undefined;
    const local = new RunLifecycle(this.dir, this.#parsed, {
      owner: !options.attach,
      heartbeatIntervalSec: positive("heartbeatIntervalSec", options.heartbeatIntervalSec, 15),
    });
    this.#localLifecycle = local;
    const remote = new RemoteLifecycle(
      () => this.#remote?.sink,
      !options.attach,
      () => this.#lastRemote?.sender.status().lost ?? 0,
    );
    this.#lifecycle = !this.#target ? local : this.#alsoLocal ? new BothLifecycles(local, remote) : remote;
    positive("flushIntervalMs", options.flushIntervalMs, 1);
    positive("flushBytes", options.flushBytes, 1);
    const sink = () => this.#openSink();
    const localParams = () => (this.#openSink(), this.#localSink!);
    this.params = this.#target
      ? new RemoteParams(
          this.dir,
          () => void this.#openSink(),
          () => this.#openSink() && this.#remote!.sink,
          this.#alsoLocal,
          localParams,
        )
      : new Params(this.dir, localParams);
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
    const local =
      !this.#target || this.#alsoLocal
        ? new RunSink(this.dir, {
            flushIntervalMs: this.options.flushIntervalMs ?? 1000,
            flushBytes: this.options.flushBytes ?? 1024 * 1024,
            ...(this.options.maxQueuedBytes !== undefined
              ? { maxQueuedBytes: positive("maxQueuedBytes", this.options.maxQueuedBytes, 1) }
              : {}),
            label: this.prefix,
            afterFlush: (now) => {
              if (this.#localSink) this.#localLifecycle.noteWrites(this.#localSink.writeStatus());
              this.#lifecycle.beat(now);
            },
          })
        : undefined;
    this.#localSink = this.#lastLocalSink = local;
    if (this.#target) {
      const { prefix, description, tags, bindrs, metadata } = this.options;
      this.#remote = this.#lastRemote = new RemoteSession(
        this.#target,
        {
          prefix,
          ...(description !== undefined ? { description } : {}),
          ...(tags ? { tags } : {}),
          ...(bindrs ? { bindrs } : {}),
          ...(metadata ? { metadata } : {}),
        },
        this.options.remote,
        !!this.options.attach,
      );
      this.#remote.sender.open();
      process.on("beforeExit", this.#onBeforeExit);
    }
    this.#sink =
      local && this.#remote ? new TeeSink(local, this.#remote.sink) : (local ?? this.#remote!.sink);
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
    const writable = {
      experimentId: `${this.project}/${this.prefix}`,
      serial: (task: () => Promise<void>) => (this.#fileQueue = this.#fileQueue.then(task, task)),
      ...(this.#localSink ? { sink: this.#localSink } : {}),
    };
    if (!this.#remote) return new RunFiles(this.dir, folder, writable);
    const files = new RemoteFiles(this.dir, folder, {
      sender: this.#remote.sender,
      local: this.#alsoLocal,
      saved: this.#remoteFiles,
      experimentId: writable.experimentId,
      writable,
    });
    // Saves go one after the other, so uploads are queued in the order of the calls.
    const save = files.save.bind(files);
    files.save = (source, options) => {
      const result = this.#saveQueue.then(() => save(source, options));
      this.#saveQueue = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    };
    return files;
  }

  /**
   * Writes everything buffered now. In remote mode, sends it and waits (at most `remote.flushTimeoutMs`,
   * not at all while the server is unreachable) for the server to acknowledge it.
   */
  async flush(): Promise<void> {
    this.#openSink().flush();
    const remote = this.#remote;
    if (remote && remote.flushTimeoutMs > 0 && remote.sender.status().state !== "retrying")
      await remote.sender.drain(remote.flushTimeoutMs);
  }

  /**
   * How the run's data is getting to the server (remote mode; undefined for a local run): acknowledged,
   * pending and refused batches, retries, errors and the last one. Errors of remote mode are never thrown
   * into the program: they are counted here and reported once on stderr.
   */
  remoteStatus(): RemoteStatus | undefined {
    return this.#lastRemote?.sender.status();
  }

  /**
   * How the run's data is getting to its local files (undefined for a run without them, in remote mode):
   * records queued, failed writes, records lost. I/O errors (a full disk) are never thrown into the program:
   * the data stays queued and is written when the disk takes it again; they are counted here, reported once
   * on stderr and recorded in experiment.json. Kept after the run ends.
   */
  writeStatus(): WriteStatus | undefined {
    return this.#lastLocalSink?.writeStatus();
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

  #openSink(): TrackingSink {
    if (this.#sink) return this.#sink;
    throw new RunStateError(`Run ${this.prefix} has ended (${this.status}): it takes no more data.`, {
      details: { prefix: this.prefix, status: this.status },
    });
  }

  async #end(mark: (lifecycle: Lifecycle) => void): Promise<void> {
    await this.#saveQueue;
    await this.#fileQueue;
    const remote = this.#remote;
    this.#close(mark);
    if (remote) {
      await remote.sender.drain(remote.closeTimeoutMs);
      remote.sender.stop();
    }
  }

  // A program that ends without ending its run: in remote mode the run is ended here, while the event loop
  // can still send the last batches (the exit handler can only leave them in the buffer).
  readonly #onBeforeExit = () => {
    process.off("beforeExit", this.#onBeforeExit);
    if (!this.#sink) return;
    const code = typeof process.exitCode === "number" ? process.exitCode : Number(process.exitCode ?? 0);
    void this.#end((lifecycle) =>
      code === 0
        ? lifecycle.markCompleted("process exited while the run was open")
        : lifecycle.markFailed(undefined, `exit code ${code}`),
    );
  };

  #close(mark: (lifecycle: Lifecycle) => void): void {
    const sink = this.#sink;
    if (!sink) return;
    this.#sink = undefined;
    const remote = this.#remote;
    this.#remote = undefined;
    process.off("beforeExit", this.#onBeforeExit);
    this.#stopSystemMetrics?.();
    this.#stopSystemMetrics = undefined;
    if (ownedRuns.get(this.dir) === this) ownedRuns.delete(this.dir);
    unbindFromProcess(this.#processBinding);
    const localSink = this.#localSink;
    this.#localSink = undefined;
    try {
      sink.close();
    } finally {
      if (localSink) this.#localLifecycle.noteWrites(localSink.writeStatus());
      // The remote lifecycle sends the final status through the session's sink, taken back for it.
      this.#remote = remote;
      try {
        mark(this.#lifecycle);
      } finally {
        this.#remote = undefined;
      }
    }
  }

  #endWithProcess(outcome: ProcessOutcome): void {
    if (outcome.kind === "signal") {
      // Flushed and CANCELLED, but still open: the program may log while it shuts down; exit closes it.
      this.#sink?.flush();
      this.#lifecycle.markCancelled(outcome.signal);
    } else {
      const remote = this.#remote;
      if (outcome.code === 0 && outcome.error === undefined) {
        this.#close((lifecycle) => lifecycle.markCompleted("process exited while the run was open"));
      } else {
        const reason = outcome.error !== undefined ? "uncaught exception" : `exit code ${outcome.code}`;
        this.#close((lifecycle) => lifecycle.markFailed(outcome.error, reason));
      }
      // No more event loop: what is not acknowledged stays in the buffer for `labrun sync`.
      remote?.sender.stop();
    }
  }
}
