import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { processesWithMarker } from "../../src/testing/index.js";
import { spawnSync } from "node:child_process";
import { ensureBuilt, labrunBin, readJson, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";

const experiments = join(import.meta.dirname, "..", "fixtures", "experiments");
let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("cli");
});
afterEach(() => ws.cleanup());

interface StatusJson {
  id: string;
  dir: string;
  jobs: {
    index: number;
    name: string;
    state: string;
    reason?: string;
    exitCode?: number;
    directory: string;
  }[];
}

const cli = (...args: string[]) => runCli(args, { workspace: ws.root });
const statusOf = (id: string) => JSON.parse(cli("experiment", "status", id, "--json").stdout) as StatusJson;
const idFrom = (text: string) => /labrun experiment status (\S+)/.exec(text)?.[1];

function expectCleanError(result: ReturnType<typeof cli>, code: string): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`[${code}]`);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
}

describe("labrun run", () => {
  it("runs an experiment file attached, prints progress and the next commands, and exits 0", () => {
    const result = runCli(["run", join(experiments, "chain.ts")], {
      workspace: ws.root,
      env: { STEP_SECONDS: "0.2", TAIL: "1" },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/prep: COMPLETED/);
    expect(result.stderr).toMatch(/join: COMPLETED/);
    expect(result.stdout).toContain("[prep] prep start");
    expect(result.stdout).toContain("[join] join done");
    const id = idFrom(result.stderr)!;
    expect(id).toMatch(/^chain_\d{8}-\d{6}/);
    expect(statusOf(id).jobs.map((j) => j.state)).toEqual([
      "COMPLETED",
      "COMPLETED",
      "COMPLETED",
      "COMPLETED",
    ]);
  });

  it("exits non-zero when a job fails and names the failed job and where its logs are", () => {
    const result = runCli(["run", join(experiments, "failing.ts")], { workspace: ws.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/train failed: exit code 3/);
    expect(result.stderr).toMatch(/labrun experiment logs failing_\S+ train/);
    const id = /Experiment (failing_\S+) FAILED/.exec(result.stderr)![1]!;
    const status = statusOf(id);
    expect(status.jobs[1]).toMatchObject({
      name: "evaluate",
      state: "CANCELLED",
      reason: 'dependency "train" failed',
    });
    expect(cli("experiment", "logs", id, "train").stdout.trim()).toBe("loss=nan");
  });

  it("shows colours and a live progress line on a terminal, and plain lines when piped", () => {
    const command = `${process.execPath} ${labrunBin} run ${join(experiments, "chain.ts")}`;
    const { NO_COLOR: _no, FORCE_COLOR: _force, ...env } = process.env;
    const tty = spawnSync("script", ["-qec", command, "/dev/null"], {
      env: { ...env, LABRUN_HOME: ws.root, STEP_SECONDS: "0.6", TERM: "xterm" },
      encoding: "utf8",
    });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/\u001b\[2K.*\d+ \u001b\[\d+mrunning/); // the redrawn progress line
    expect(tty.stdout).toContain("\u001b[32mCOMPLETED");
    const piped = runCli(["run", join(experiments, "chain.ts")], {
      workspace: ws.root,
      env: { STEP_SECONDS: "0", NO_COLOR: "" },
    });
    expect(piped.stderr).not.toContain("\u001b[");
    expect(piped.stderr).toMatch(/join: COMPLETED/);
  });

  it("with direct, runs a Partial in the driver's process and keeps what it prints in the job's log", () => {
    const result = runCli(["run", join(experiments, "direct.ts"), "--", "20", "22"], { workspace: ws.root });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("adding 20 and 22");
    const id = idFrom(result.stderr)!;
    expect(cli("experiment", "logs", id, "sum").stdout.trim()).toBe("adding 20 and 22");
    const job = statusOf(id).jobs[0]!;
    expect(readJson<{ sum: number; pid: number }>(join(job.directory, "result.json")).sum).toBe(42);
    expect(job).toMatchObject({ state: "COMPLETED" });
  });

  it("keeps the error code of a labrun error raised inside the experiment file", () => {
    const result = runCli(["run", join(experiments, "duplicate.ts")], { workspace: ws.root });
    expectCleanError(result, "DUPLICATE_JOB_NAME");
  });

  it("runs a grid sweep with retries: jobs named after their values, attempts shown in status", () => {
    const result = runCli(["run", join(experiments, "sweep-retry.ts")], { workspace: ws.root });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /train-lr=0\.1,bs=8: PENDING \(attempt 1 failed \(exit code 1\); retrying in 100 ms\)/,
    );
    const id = idFrom(result.stderr)!;
    const status = JSON.parse(cli("experiment", "status", id, "--json").stdout) as {
      jobs: { name: string; state: string; attempt: number; retries: number }[];
    };
    expect(status.jobs.map((job) => [job.name, job.state, job.attempt, job.retries])).toEqual([
      ["train-lr=0.1,bs=8", "COMPLETED", 2, 2],
      ["train-lr=0.01,bs=8", "COMPLETED", 2, 2],
    ]);
    expect(cli("experiment", "status", id).stdout).toMatch(/train-lr=0\.1,bs=8\s+COMPLETED attempt 2\/3/);
    expect(cli("experiment", "logs", id, "0").stdout.trim().split("\n")).toEqual([
      "lr=0.1 bs=8 attempt 1",
      "lr=0.1 bs=8 attempt 2",
    ]);
  });

  it("reports a missing experiment file as one clear line", () => {
    expectCleanError(cli("run", "no-such-experiment.ts"), "EXPERIMENT_FILE");
  });
});

describe("labrun experiment", () => {
  it("detaches, then lists, shows status, follows logs and shows the final state from another process", async () => {
    const launched = runCli(["run", join(experiments, "chain.ts")], {
      workspace: ws.root,
      env: { DETACH: "1", STEP_SECONDS: "0.5" },
    });
    expect(launched.code).toBe(0);
    expect(launched.stderr).toContain("labrun experiment logs");
    expect(launched.stderr).toContain("labrun experiment cancel");
    const id = idFrom(launched.stderr)!;
    expect(statusOf(id).jobs[0]!.state).toMatch(/SUBMITTED|RUNNING|COMPLETED/);

    const followed = cli("experiment", "logs", id, "join", "--follow");
    expect(followed.code).toBe(0);
    expect(followed.stdout.trim().split("\n")).toEqual(["join start", "join done"]);
    await waitFor("the supervisor to record the end", () =>
      statusOf(id).jobs.every((j) => j.state === "COMPLETED"),
    );

    const list = JSON.parse(cli("experiment", "list", "--json").stdout) as {
      id: string;
      state: string;
      jobs: Record<string, number>;
    }[];
    expect(list).toEqual([
      expect.objectContaining({ id, state: "COMPLETED", jobs: { COMPLETED: 4, total: 4 } }),
    ]);
    const table = cli("experiment", "list").stdout;
    expect(table).toMatch(new RegExp(`${id}\\s+chain\\s+COMPLETED\\s+4/4`));
    const human = cli("experiment", "status", id).stdout;
    expect(human).toMatch(/3\s+join\s+COMPLETED\s+local/);
    const all = cli("experiment", "logs", id, "--regex", "done$").stdout.trim().split("\n");
    expect(all).toEqual(["[prep] prep done", "[left] left done", "[right] right done", "[join] join done"]);
    // The title alone finds the latest experiment with it.
    expect(statusOf("chain").id).toBe(id);
  });

  it("cancel --all stops every job of a detached experiment, leaves no orphans and cancels dependents", async () => {
    const marker = `cli-cancel-${randomUUID()}`;
    const launched = runCli(["run", join(experiments, "long.ts")], {
      workspace: ws.root,
      env: { DETACH: "1", JOB_MARKER: marker },
    });
    expect(launched.code).toBe(0);
    const id = idFrom(launched.stderr)!;
    await waitFor("both long jobs to run", () => processesWithMarker(marker).length >= 6);
    const cancelled = cli("experiment", "cancel", id, "--all");
    expect(cancelled.code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
    const jobs = statusOf(id).jobs;
    expect(jobs.map((j) => j.state)).toEqual(["CANCELLED", "CANCELLED", "CANCELLED"]);
    expect(jobs[2]!.reason).toBe("cancelled by user");
  });

  it("cancel of one job by index keeps the others running", async () => {
    const marker = `cli-cancel-one-${randomUUID()}`;
    const launched = runCli(["run", join(experiments, "long.ts")], {
      workspace: ws.root,
      env: { DETACH: "1", JOB_MARKER: marker, LONG_SECONDS: "8" },
    });
    const id = idFrom(launched.stderr)!;
    await waitFor("both long jobs to run", () => processesWithMarker(marker).length >= 6);
    expect(cli("experiment", "cancel", id, "0").code).toBe(0);
    expect(statusOf(id).jobs[0]!.state).toBe("CANCELLED");
    expect(statusOf(id).jobs[1]!.state).toBe("RUNNING");
    await waitFor("long-b to finish", () => statusOf(id).jobs[1]!.state === "COMPLETED", 20_000);
    expect(statusOf(id).jobs[2]).toMatchObject({
      state: "CANCELLED",
      reason: 'dependency "long-a" cancelled',
    });
  });

  it("two experiments launched at once into one workspace both complete, each with its own records", async () => {
    const runs = [1, 2, 3].map(() =>
      startCli(["run", join(experiments, "chain.ts")], { workspace: ws.root, env: { STEP_SECONDS: "0.2" } }),
    );
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0, 0]);
    const list = JSON.parse(cli("experiment", "list", "--json").stdout) as {
      id: string;
      state: string;
      jobs: Record<string, number>;
    }[];
    expect(list).toHaveLength(3);
    expect(new Set(list.map((e) => e.id)).size).toBe(3);
    for (const entry of list)
      expect(entry).toMatchObject({ state: "COMPLETED", jobs: { COMPLETED: 4, total: 4 } });
    const dirs = list.flatMap((entry) => statusOf(entry.id).jobs.map((job) => job.directory));
    expect(new Set(dirs).size).toBe(12);
  });

  it("answers bad input with one line, a stable code and a non-zero exit, changing nothing", () => {
    const launched = runCli(["run", join(experiments, "chain.ts")], {
      workspace: ws.root,
      env: { STEP_SECONDS: "0" },
    });
    const id = idFrom(launched.stderr)!;
    const before = readFileSync(join(statusOf(id).dir, "experiment.json"), "utf8");
    expectCleanError(cli("experiment", "status", "nope_20200101-000000"), "EXPERIMENT_NOT_FOUND");
    expectCleanError(cli("experiment", "logs", id, "42"), "JOB_NOT_FOUND");
    expectCleanError(cli("experiment", "cancel", id, "no-such-job"), "JOB_NOT_FOUND");
    expect(readFileSync(join(statusOf(id).dir, "experiment.json"), "utf8")).toBe(before);
    const usage = cli("experiment", "frobnicate");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown command/);
  });

  it("prints nothing but the JSON with --json", () => {
    const launched = runCli(["run", join(experiments, "chain.ts")], {
      workspace: ws.root,
      env: { STEP_SECONDS: "0" },
    });
    const id = idFrom(launched.stderr)!;
    const status = statusOf(id);
    expect(status.jobs).toHaveLength(4);
    expect(existsSync(join(status.jobs[0]!.directory, "exit_code"))).toBe(true);
    expect(readJson(join(status.dir, "experiment.json"))).toMatchObject({
      id,
      title: "chain",
      mode: { detach: false },
    });
  });
});

describe("Ctrl-C in an attached run", () => {
  it("the first Ctrl-C cancels the jobs and their process trees, and the run exits non-zero", async () => {
    const marker = `sigint-${randomUUID()}`;
    const run = startCli(["run", join(experiments, "long.ts")], {
      workspace: ws.root,
      env: { JOB_MARKER: marker },
    });
    await waitFor(
      "jobs to run",
      () => /long-b: RUNNING/.test(run.output().stderr) && /long-a: RUNNING/.test(run.output().stderr),
    );
    run.child.kill("SIGINT");
    const code = await run.exited;
    expect(code).toBe(1);
    expect(run.output().stderr).toMatch(/Press Ctrl-C again to leave them running detached/);
    expect(run.output().stderr).toMatch(/long-a: CANCELLED/);
    const id = /Experiment (long_\S+) CANCELLED/.exec(run.output().stderr)![1]!;
    const jobs = statusOf(id).jobs;
    expect(jobs.map((j) => j.state)).toEqual(["CANCELLED", "CANCELLED", "CANCELLED"]);
    expect(processesWithMarker(marker)).toEqual([]);
    // The wrappers outlived the SIGTERM of their commands long enough to record it.
    for (const job of jobs.slice(0, 2))
      expect(readFileSync(join(job.directory, "exit_code"), "utf8").trim()).toBe("143");
  });

  it("Ctrl-C is handled while a stream of short jobs keeps the driver busy", async () => {
    const run = startCli(["run", join(experiments, "many.ts")], {
      workspace: ws.root,
      env: { MANY: "1000" },
    });
    await waitFor("jobs to run", () => /m\d+: COMPLETED/.test(run.output().stderr));
    run.child.kill("SIGINT");
    const code = await run.exited;
    expect(run.output().stderr).toMatch(/Interrupted: cancelling \d+ unfinished job/);
    expect(code).toBe(1);
    expect(run.output().stderr).toMatch(/Experiment many_\S+ CANCELLED/);
  });

  it("a second Ctrl-C leaves the jobs running detached and says so; they complete under the supervisor", async () => {
    const run = startCli(["run", join(experiments, "long.ts")], { workspace: ws.root });
    await waitFor("jobs to run", () => /long-a: RUNNING/.test(run.output().stderr));
    run.child.kill("SIGINT");
    await waitFor("the first warning", () => /Press Ctrl-C again/.test(run.output().stderr));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    expect(run.output().stderr).toMatch(/Left 3 job\(s\) running detached/);
    const id = idFrom(run.output().stderr)!;
    const jobs = statusOf(id).jobs;
    expect(jobs[0]!.state).toBe("RUNNING");
    cli("experiment", "cancel", id, "--all");
  });
});
