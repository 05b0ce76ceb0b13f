import type { Job } from "../scheduler/job.js";
import type { JobState } from "../workspace/job-record.js";
import { formatDuration, paint, paintState, useColor } from "../util/table.js";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";
const levelRank: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

export interface ReporterOptions {
  readonly logLevel: LogLevel;
  /** Only errors are printed. */
  readonly cleanMode: boolean;
  readonly out?: NodeJS.WriteStream;
  /** Told each tailed line; with `printTails: false` the lines are not printed. */
  readonly onLine?: (line: { job: string; stream: "stdout" | "stderr"; line: string }) => void;
  readonly printTails?: boolean;
}

/**
 * What an attached run shows while it waits: a live progress line on a terminal (state changes as lines
 * otherwise), and the output of jobs whose logs are tailed, prefixed with the job's name.
 */
export class ConsoleReporter {
  readonly #options: ReporterOptions;
  readonly #out: NodeJS.WriteStream;
  readonly #write: (text: string) => boolean;
  readonly #tty: boolean;
  readonly #tails = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #jobs: readonly Job[] = [];
  #timer: NodeJS.Timeout | undefined;
  #startedAt = Date.now();
  #progressShown = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
    this.#out = options.out ?? process.stderr;
    // Bound now: the direct executor copies later writes to process.stderr into a job's log, and ours are not the job's.
    this.#write = this.#out.write.bind(this.#out);
    this.#tty = this.#out.isTTY === true && !options.cleanMode;
  }

  log(level: LogLevel, message: string): void {
    if (!this.#enabled(level)) return;
    this.#print(level === "ERROR" ? paint("red", message, useColor(this.#out)) : message);
  }

  #enabled(level: LogLevel): boolean {
    if (this.#options.cleanMode && level !== "ERROR") return false;
    return levelRank[level] >= levelRank[this.#options.logLevel];
  }

  start(jobs: readonly Job[]): void {
    this.#jobs = jobs;
    this.#startedAt = Date.now();
    if (this.#tty) this.#timer = setInterval(() => this.#drawProgress(), 250).unref();
  }

  onTransition(job: Job, tail: boolean): void {
    const state = job.state;
    // Tail from the moment the job runs; a job that ended before we saw it run gets its whole log printed.
    if (tail && state !== "WAITING" && state !== "SUBMITTED" && state !== "PENDING") this.#tail(job);
    const retrying = state === "PENDING" && job.record.retryAt !== undefined;
    const level: LogLevel =
      state === "FAILED"
        ? "ERROR"
        : retrying
          ? "WARN"
          : state === "WAITING" || state === "SUBMITTED" || state === "PENDING"
            ? "DEBUG"
            : "INFO";
    if (!this.#enabled(level)) return; // called for every transition of every job: format only what is shown
    const { startedAt, submittedAt, endedAt, reason } = job.record;
    const began = Date.parse(startedAt ?? submittedAt ?? "");
    const took = endedAt && !Number.isNaN(began) ? ` in ${formatDuration(Date.parse(endedAt) - began)}` : "";
    const color = useColor(this.#out);
    this.log(
      level,
      `${paint("dim", clock(), color)} ${job.name}: ${paintState(state, color)}${state === "CANCELLED" ? "" : took}${reason ? ` (${reason})` : ""}`,
    );
  }

  /** Stops the progress line; tails of ended jobs get up to a second to print their last lines. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clearProgress();
    const tails = [...this.#tails.values()];
    const cutoff = setTimeout(() => tails.forEach((tail) => tail.controller.abort()), 1000);
    await Promise.all(tails.map((tail) => tail.done));
    clearTimeout(cutoff);
    this.#tails.clear();
  }

  #tail(job: Job): void {
    if (this.#tails.has(job.name) || job.executor.kind === "direct") return;
    const controller = new AbortController();
    const done = (async () => {
      const color = useColor(this.#out);
      for await (const { stream, line } of job.executor.logs(
        { jobDir: job.dir, handle: job.record.handle },
        {
          follow: true,
          signal: controller.signal,
        },
      )) {
        this.#options.onLine?.({ job: job.name, stream, line });
        if (this.#options.printTails === false) continue;
        const prefix = paint(stream === "stderr" ? "yellow" : "blue", `[${job.name}]`, color);
        this.#print(`${prefix} ${line}`, stream === "stdout" ? process.stdout : process.stderr);
      }
    })().catch(() => undefined);
    this.#tails.set(job.name, { controller, done });
  }

  #print(text: string, stream: NodeJS.WriteStream = this.#out): void {
    this.#clearProgress();
    (stream === this.#out ? this.#write : stream.write.bind(stream))(`${text}\n`);
  }

  #drawProgress(): void {
    const counts = new Map<JobState, number>();
    for (const job of this.#jobs) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
    const parts = (
      ["COMPLETED", "RUNNING", "SUBMITTED", "WAITING", "PENDING", "FAILED", "CANCELLED"] as const
    )
      .filter((state) => counts.get(state))
      .map((state) => `${counts.get(state)} ${paintState(state, useColor(this.#out), state.toLowerCase())}`);
    const text = `${paint("dim", formatDuration(Date.now() - this.#startedAt))} ${parts.join(" · ")}`;
    this.#write(`\r\u001b[2K${text}`);
    this.#progressShown = true;
  }

  #clearProgress(): void {
    if (!this.#progressShown) return;
    this.#write("\r\u001b[2K");
    this.#progressShown = false;
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
