import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { processesWithMarker } from "../../src/testing/index.js";
import { ensureBuilt, labrunBin, repoRoot, runCli, tempWorkspace, waitFor } from "../helpers.js";
import { TmuxSession, hasColorCodes } from "./tmux.js";

const fixtures = join(repoRoot, "test", "monitor", "fixtures");
let ws: ReturnType<typeof tempWorkspace>;
let session: TmuxSession | undefined;
const markers: string[] = [];

interface Listed {
  id: string;
  title: string;
  state: string;
}

/** Launches the detached `live` fixture; returns its id, the file that lets `ticker` end, and its marker. */
function launchLive(title: string): { id: string; gate: string; marker: string } {
  const gate = join(ws.root, `${title}.gate`);
  const marker = `monitor-${title}-${randomUUID()}`;
  markers.push(marker);
  const launched = runCli(["run", join(fixtures, "live.ts")], {
    workspace: ws.root,
    env: { TITLE: title, GATE: gate, MARKER: marker },
  });
  expect(launched.code, launched.stderr).toBe(0);
  const listed = JSON.parse(
    runCli(["experiments", "list", "--json"], { workspace: ws.root }).stdout,
  ) as Listed[];
  return { id: listed.find((e) => e.title === title)!.id, gate, marker };
}

function monitor(
  args: readonly string[],
  env: Record<string, string> = {},
  size = { width: 120, height: 40 },
) {
  session = TmuxSession.start([process.execPath, labrunBin, "monitor", ...args], {
    ...size,
    cwd: repoRoot,
    env: { LABRUN_HOME: ws.root, ...env },
  });
  return session;
}

/** The screen row that shows `name` (a job or experiment), or "" when none does. */
const rowOf = (screen: string, name: string) =>
  screen.split("\n").find((line) => new RegExp(`^[› ] (\\d+\\s+)?${name}\\s`).test(line)) ?? "";

beforeAll(() => {
  ensureBuilt();
  ws = tempWorkspace("monitor");
  const quick = runCli(["run", join(fixtures, "quick.ts")], { workspace: ws.root });
  expect(quick.code, quick.stderr).toBe(0);
});
afterEach(() => {
  session?.close();
  session = undefined;
});
afterAll(() => {
  // A test that failed half-way leaves experiments running: stop them (and their supervisors) first.
  const listed = JSON.parse(
    runCli(["experiments", "list", "--json"], { workspace: ws.root }).stdout,
  ) as Listed[];
  for (const experiment of listed.filter((e) => e.state === "RUNNING"))
    runCli(["experiment", "cancel", experiment.id, "--all"], { workspace: ws.root });
  for (const marker of markers) for (const pid of processesWithMarker(marker)) process.kill(pid, "SIGKILL");
  ws.cleanup();
});

describe("labrun monitor", () => {
  it("refuses to run without a terminal and points to `labrun experiment status`", () => {
    const result = runCli(["monitor"], { workspace: ws.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[NOT_A_TERMINAL]");
    expect(result.stderr).toContain("labrun experiment status <id>");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
  });

  it("lists experiments, follows a job live to COMPLETED with its output, cancels a job with c + y, quits with q", async () => {
    const live = launchLive("live");
    const tty = monitor([], { NO_COLOR: "1" });

    // The list: both experiments, newest first, with their states and job counts.
    let screen = await tty.waitForScreen(/Experiments \(2\)/, 60_000); // the first paint, on a busy machine
    expect(tty.format("#{alternate_on}")).toBe("1");
    expect(rowOf(screen, "live")).toMatch(new RegExp(`live\\s+${live.id}\\s+RUNNING\\s+0/3 done, 2 running`));
    expect(rowOf(screen, "quick")).toMatch(/quick\s+quick_\d{8}-\d{6}\s+COMPLETED\s+2\/2 done/);
    expect(screen.indexOf("live_")).toBeLessThan(screen.indexOf("quick_"));

    // Filter with "/", then open the experiment with Enter.
    tty.send("/");
    tty.send("quick", { literal: true });
    screen = await tty.waitForScreen((s) => rowOf(s, "live") === "" && rowOf(s, "quick") !== "");
    expect(screen).toContain("/quick");
    tty.send("Escape"); // clears the filter
    await tty.waitForScreen((s) => rowOf(s, "live") !== "" && rowOf(s, "quick") !== "");
    tty.send("/");
    tty.send("live", { literal: true });
    tty.send("Enter");
    await tty.waitForScreen((s) => rowOf(s, "quick") === "" && /filter: live/.test(s));
    tty.send("Enter");
    screen = await tty.waitForScreen(/ticker\s+RUNNING/);
    expect(screen).toContain(`${live.id}  RUNNING`);
    expect(rowOf(screen, "sleeper")).toMatch(/sleeper\s+RUNNING/);
    expect(rowOf(screen, "after")).toMatch(/after\s+WAITING/);
    expect(rowOf(screen, "ticker")).toMatch(/^› /); // the first job is selected

    // Its output, followed live: new lines keep coming while it runs.
    tty.send("Enter");
    screen = await tty.waitForScreen(/^ {2}tick \d+$/m);
    expect(screen).toMatch(/ticker\s+RUNNING/);
    const lastTick = (s: string) =>
      Math.max(0, ...[...s.matchAll(/^ {2}tick (\d+)$/gm)].map((m) => Number(m[1])));
    const seen = lastTick(screen);
    await tty.waitForScreen((s) => lastTick(s) >= seen + 5);

    // The job ends: its last lines (stderr marked) and its new state appear on their own.
    writeFileSync(live.gate, "");
    screen = await tty.waitForScreen(/ticker\s+COMPLETED/);
    await tty.waitForScreen(/^ {2}ticker done\n! a line on stderr$/m);
    // However long the output, the frame stays put: title on the first row, key hints on the last but one.
    const lines = screen.split("\n");
    expect(lines[0]).toMatch(/^labrun monitor /);
    expect(lines[38]).toMatch(/Esc back .* q quit$/);

    // Back to the jobs, where the state changed too.
    tty.send("Escape");
    screen = await tty.waitForScreen((s) => /ticker\s+COMPLETED/.test(rowOf(s, "ticker")));
    expect(rowOf(screen, "sleeper")).toMatch(/sleeper\s+RUNNING/);

    // c asks first; n leaves the job running.
    tty.send("Down");
    await tty.waitForScreen((s) => rowOf(s, "sleeper").startsWith("›"));
    tty.send("c");
    await tty.waitForScreen(/Cancel job sleeper \(and the jobs that depend on it\)\? y\/n/);
    tty.send("n");
    await tty.waitForScreen(/Nothing cancelled\./);
    expect(processesWithMarker(live.marker).length).toBeGreaterThan(0);
    expect(rowOf(tty.screen(), "sleeper")).toMatch(/RUNNING/);

    // c then y cancels it, and its dependent with it; its processes are gone.
    tty.send("c");
    await tty.waitForScreen(/Cancel job sleeper/);
    tty.send("y");
    screen = await tty.waitForScreen((s) =>
      /sleeper\s+CANCELLED\s+\S+\s+cancelled by user/.test(rowOf(s, "sleeper")),
    );
    await tty.waitForScreen((s) =>
      /after\s+CANCELLED\s+-\s+dependency "sleeper" cancelled/.test(rowOf(s, "after")),
    );
    await tty.waitForScreen(/Cancelled job sleeper\./);
    await waitFor(
      "the sleeper's processes to end",
      () => processesWithMarker(live.marker).length === 0,
      10_000,
    );
    const status = JSON.parse(
      runCli(["experiment", "status", live.id, "--json"], { workspace: ws.root }).stdout,
    ) as {
      jobs: { name: string; state: string }[];
    };
    expect(status.jobs.map((job) => `${job.name}=${job.state}`)).toEqual([
      "ticker=COMPLETED",
      "sleeper=CANCELLED",
      "after=CANCELLED",
    ]);

    // NO_COLOR: attributes only, never a colour.
    expect(hasColorCodes(tty.screenWithEscapes())).toBe(false);

    // q quits with status 0 and gives the terminal back (alternate screen off).
    tty.send("q");
    expect(await tty.waitForExit()).toBe(0);
    expect(tty.format("#{alternate_on}")).toBe("0");
    expect(tty.screen()).not.toContain("labrun monitor");
  });

  it("opens an experiment given by title, in colour, cancels all of it with C + y, follows a resize, quits on Ctrl-C", async () => {
    const other = launchLive("other");
    const tty = monitor(["other"]); // a title: its latest experiment

    let screen = await tty.waitForScreen(/ticker\s+RUNNING/);
    expect(screen).toContain(`${other.id}  RUNNING`);
    expect(hasColorCodes(tty.screenWithEscapes())).toBe(true); // a terminal without NO_COLOR gets colours

    // A smaller terminal: the frame is laid out again for it, nothing of the wider one is left behind.
    tty.resize(80, 24);
    screen = await tty.waitForScreen((s) => {
      const lines = s.split("\n");
      return (
        /^labrun monitor /.test(lines[0] ?? "") &&
        lines[22]?.endsWith("q quit") === true &&
        lines.every((line) => Array.from(line).length <= 80) &&
        !s.includes("Job id") && // the optional column is left out at this width
        /sleeper\s+RUNNING/.test(rowOf(s, "sleeper"))
      );
    });
    expect(screen.split("\n").slice(23).join("").trim()).toBe(""); // nothing below the frame

    // C asks, then cancels every unfinished job; nothing of them is left running.
    tty.send("C");
    await tty.waitForScreen(new RegExp(`Cancel every unfinished job of ${other.id}\\? y/n`));
    tty.send("y");
    screen = await tty.waitForScreen((s) =>
      ["ticker", "sleeper", "after"].every((name) => /CANCELLED/.test(rowOf(s, name))),
    );
    expect(screen).toContain(`${other.id}  CANCELLED`);
    await waitFor("the jobs' processes to end", () => processesWithMarker(other.marker).length === 0, 10_000);

    // Back (Esc) to the list, opened under it: the experiment is CANCELLED there too; C now has nothing to do.
    tty.send("Escape");
    screen = await tty.waitForScreen((s) => /CANCELLED/.test(rowOf(s, "other")));
    tty.send("C");
    await tty.waitForScreen(/has ended: nothing to cancel/);

    tty.send("C-c");
    expect(await tty.waitForExit()).toBe(0);
    expect(tty.format("#{alternate_on}")).toBe("0");
  });

  it("shows each job's latest metrics, and every key on ?", async () => {
    // --workspace wins over LABRUN_HOME, as with every command.
    const tty = monitor(["quick", "--workspace", ws.root], {
      NO_COLOR: "1",
      LABRUN_HOME: join(ws.root, "elsewhere"),
    });
    const screen = await tty.waitForScreen(/second\s+COMPLETED/);
    expect(rowOf(screen, "second")).toMatch(/second\s+COMPLETED\s+\S+\s+train\.loss=0\.25 train\.step=1/);
    expect(rowOf(screen, "first")).toMatch(/first\s+COMPLETED/);
    tty.send("?");
    const help = await tty.waitForScreen(/Keys \(/);
    for (const key of ["Enter", "/", "c ", "C ", "Esc  Backspace", "q  Ctrl-C"])
      expect(help).toMatch(new RegExp(`^${key.replace(/[/]/g, "\\/")}\\s`, "m"));
    tty.send("Escape");
    await tty.waitForScreen((s) => !s.includes("Keys (") && rowOf(s, "second") !== "");
    tty.send("q");
    expect(await tty.waitForExit()).toBe(0);
  });

  it("says so and exits 1 for an unknown experiment, before drawing anything", async () => {
    const tty = monitor(["no-such-experiment"]);
    expect(await tty.waitForExit()).toBe(1);
    const screen = tty.transcript();
    expect(screen).toMatch(/error \[EXPERIMENT_NOT_FOUND\] No experiment "no-such-experiment"/);
    expect(screen).not.toMatch(/\n\s+at /);
  });

  it("restores the terminal when it is ended by SIGTERM", async () => {
    const tty = monitor([]);
    await tty.waitForScreen(/Experiments \(\d+\)/);
    const shell = Number(tty.format("#{pane_pid}"));
    // The pane runs `env … node …`, which env replaced by node: the pane's process is the monitor.
    process.kill(shell, "SIGTERM");
    expect(await tty.waitForExit()).toBe(143);
    expect(tty.format("#{alternate_on}")).toBe("0");
  });

  it("ends when its terminal goes away (an SSH connection closing), leaving no process behind", async () => {
    const tty = monitor([]);
    await tty.waitForScreen(/Experiments \(\d+\)/);
    const pid = Number(tty.format("#{pane_pid}"));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    tty.close(); // the terminal closes: the monitor gets SIGHUP and its writes fail
    await waitFor("the monitor to end", () => !alive(), 10_000);
  });
});
