import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Quotes a word for the shell that tmux runs the command with. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * A real pseudo-terminal: a program run in its own tmux server (own socket, no status bar, the pane kept
 * after the program exits so that its exit status can be read), its screen read with `capture-pane`.
 */
export class TmuxSession {
  readonly #dir: string;
  readonly #socket: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = join(dir, "tmux.sock");
  }

  /** Starts `argv` in a `width`×`height` terminal, in `cwd`, with only PATH, HOME, TERM and `env` set. */
  static start(
    argv: readonly string[],
    options: { width: number; height: number; cwd: string; env: Record<string, string> },
  ): TmuxSession {
    const session = new TmuxSession(mkdtempSync(join(tmpdir(), "labrun-tmux-")));
    writeFileSync(
      join(session.#dir, "tmux.conf"),
      "set -g remain-on-exit on\nset -g status off\nset -g default-terminal xterm-256color\n",
    );
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      TERM: "xterm-256color",
      ...options.env,
    };
    const command = [
      "env",
      "-i",
      ...Object.entries(env).map(([name, value]) => quote(`${name}=${value}`)),
      ...argv.map(quote),
    ].join(" ");
    session.#tmux(
      "-f",
      join(session.#dir, "tmux.conf"),
      "new-session",
      "-d",
      "-s",
      "monitor",
      "-x",
      String(options.width),
      "-y",
      String(options.height),
      "-c",
      options.cwd,
      command,
    );
    return session;
  }

  /** The screen as text, one line per row (trailing spaces removed). */
  screen(): string {
    return this.#tmux("capture-pane", "-p", "-t", "monitor");
  }

  /** The screen and the lines scrolled off it, with wrapped lines joined. */
  transcript(): string {
    return this.#tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "monitor");
  }

  /** The screen with its colour and attribute escape sequences. */
  screenWithEscapes(): string {
    return this.#tmux("capture-pane", "-p", "-e", "-t", "monitor");
  }

  /** Sends keys by tmux name (`Enter`, `Escape`, `Down`, `C-c`) or as literal text with `{ literal: true }`. */
  send(keys: string, options: { literal?: boolean } = {}): void {
    this.#tmux("send-keys", "-t", "monitor", ...(options.literal ? ["-l"] : []), keys);
  }

  resize(width: number, height: number): void {
    this.#tmux("resize-window", "-t", "monitor", "-x", String(width), "-y", String(height));
  }

  /** A tmux format of the pane, such as `#{alternate_on}` or `#{pane_pid}`. */
  format(format: string): string {
    return this.#tmux("display-message", "-p", "-t", "monitor", format).trim();
  }

  /** The program's exit status once it has ended, else undefined. */
  exitStatus(): number | undefined {
    const [dead, status, signal] = this.format("#{pane_dead} #{pane_dead_status} #{pane_dead_signal}").split(
      " ",
    );
    if (dead !== "1") return undefined;
    // Killed by a signal: the shell's convention, 128 + its number.
    if (status || signal) return status ? Number(status) : 128 + Number(signal);
    // tmux saw the terminal close but has not reaped the program yet (it can stay a zombie for seconds on a
    // busy machine): the kernel already holds its wait status.
    return zombieExitStatus(Number(this.format("#{pane_pid}")));
  }

  /** Waits until the screen matches `pattern`, and returns it; a timeout shows the last screen. */
  async waitForScreen(
    pattern: RegExp | ((screen: string) => boolean),
    timeoutMs = 20_000,
    pollMs = 100,
  ): Promise<string> {
    const matches = typeof pattern === "function" ? pattern : (screen: string) => pattern.test(screen);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (matches(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${String(pattern)}; the screen was:\n${screen}`,
        );
      await sleep(pollMs);
    }
  }

  async waitForExit(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = this.exitStatus();
      if (status !== undefined) return status;
      if (Date.now() > deadline)
        throw new Error(`the program did not exit within ${timeoutMs} ms; the screen was:\n${this.screen()}`);
      await sleep(100);
    }
  }

  /** Stops the tmux server (and the program, if it still runs) and removes its files. */
  close(): void {
    spawnSync("tmux", ["-S", this.#socket, "kill-server"], { stdio: "ignore" });
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-S", this.#socket, ...args], { encoding: "utf8" });
  }
}

/** True when the text has an SGR sequence that sets a foreground or background colour. */
export function hasColorCodes(text: string): boolean {
  for (const match of text.matchAll(/\u001b\[([0-9;:]*)m/g)) {
    const codes = match[1]!.split(/[;:]/).map(Number);
    if (
      codes.some(
        (code) => (code >= 30 && code <= 38) || (code >= 40 && code <= 48) || (code >= 90 && code <= 107),
      )
    )
      return true;
  }
  return false;
}

/** The exit status of a process that has ended but not been reaped, from /proc/<pid>/stat (field 52). */
function zombieExitStatus(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z") return undefined;
    const wait = Number(fields[49]); // field 52 counted from 1, after pid and comm
    return (wait & 0x7f) === 0 ? (wait >> 8) & 0xff : 128 + (wait & 0x7f);
  } catch {
    return undefined; // already reaped: tmux has the status now, next time
  }
}
