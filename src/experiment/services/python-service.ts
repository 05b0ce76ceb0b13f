import { spawn } from "node:child_process";
import type { ChildProcessByStdio } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { engineEnv, pythonPathWith } from "../../util/engine-paths.js";
import { Service } from "./service.js";

/** Where a Python service's class is and how to rebuild it (docs/plan-protocol.md, "Services"). */
export interface PythonServiceOptions {
  readonly id: string;
  /** Shown until the service says its own. */
  readonly description?: string;
  /** Exactly one of `module` and `file` holds the class. */
  readonly module?: string;
  readonly file?: string;
  readonly qualname: string;
  /** The constructor's keyword arguments (the service's `state_dict()`). */
  readonly state?: Readonly<Record<string, unknown>>;
  readonly python: string;
  readonly pythonpath: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** How long the service may take to start; default 60 s. */
  readonly startTimeoutMs?: number;
  /** How long it may take to stop before it is killed; default 10 s. */
  readonly stopTimeoutMs?: number;
}

interface RunnerMessage {
  readonly event?: string;
  readonly url?: unknown;
  readonly description?: unknown;
  readonly message?: unknown;
}

/**
 * A service written in Python (a `labrun.services.Service` or `WebService` of an experiment file), run in its
 * own process: `python -m labrun._service_runner` rebuilds the instance from its class and state, starts it
 * and says when it runs (and at which URL). Stopping closes the runner's stdin, so a service also stops when
 * the engine dies; the runner ignores Ctrl-C, which is the engine's to handle.
 */
export class PythonService extends Service {
  readonly id: string;
  readonly options: PythonServiceOptions;
  #url: string | undefined;
  #description: string | undefined;
  #child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: PythonServiceOptions) {
    super();
    this.id = options.id;
    this.options = Object.freeze({ ...options });
    this.#description = options.description;
  }

  /** Where the service answers while it runs, when it is a web service. */
  get url(): string | undefined {
    return this.#url;
  }

  override description(): string {
    const text = this.#description || this.id;
    return this.#url ? `${text} at ${this.#url}` : text;
  }

  protected onStart(): Promise<void> {
    const { options } = this;
    const child = spawn(options.python, ["-m", "labrun._service_runner"], {
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "inherit"],
      env: {
        ...process.env,
        ...engineEnv(),
        ...options.env,
        PYTHONPATH: pythonPathWith([...options.pythonpath, options.cwd]),
      },
    });
    this.#child = child;
    const spec = {
      labrunService: 1,
      id: options.id,
      module: options.module ?? null,
      file: options.file ?? null,
      qualname: options.qualname,
      state: options.state ?? {},
    };
    child.stdin.on("error", () => undefined); // a runner that died early: its exit says why
    child.stdin.write(`${JSON.stringify(spec)}\n`);
    return new Promise<void>((resolve, reject) => {
      let running = false;
      let failure: string | undefined;
      const timer = setTimeout(() => {
        failure = `it did not say it was running within ${options.startTimeoutMs ?? 60_000} ms`;
        child.kill("SIGKILL");
      }, options.startTimeoutMs ?? 60_000);
      this.#exited = new Promise<void>((exited) => {
        child.once("close", (code, signal) => {
          clearTimeout(timer);
          this.#child = undefined;
          exited();
          if (!running) {
            const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
            reject(
              new Error(
                failure ?? `its Python process ${how} before it was running (its messages are above)`,
              ),
            );
          } else if (this.state === "RUNNING" || this.state === "STARTING") this.markStopped(); // ended by itself
        });
      });
      child.once("error", (error: NodeJS.ErrnoException) => {
        failure =
          error.code === "ENOENT"
            ? `Python interpreter "${options.python}" was not found (set LABRUN_PYTHON)`
            : error.message;
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        const message = parseMessage(line);
        if (!message) return;
        if (message.event === "running" && !running) {
          running = true;
          clearTimeout(timer);
          if (typeof message.url === "string" && message.url) this.#url = message.url;
          if (typeof message.description === "string" && message.description)
            this.#description = message.description;
          resolve();
        } else if (message.event === "error" && typeof message.message === "string") {
          failure = message.message;
        }
      });
    });
  }

  protected async onStop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.stdin.end();
    const timeout = this.options.stopTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, timeout);
      }),
    ]);
    clearTimeout(timer);
    await this.#exited;
  }

  protected override markStopped(): void {
    // Cleared first, so that listeners told of STOPPED see no URL.
    this.#url = undefined;
    super.markStopped();
  }
}

function parseMessage(line: string): RunnerMessage | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" ? (value as RunnerMessage) : undefined;
  } catch {
    return undefined;
  }
}
