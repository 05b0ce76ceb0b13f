import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DependencyCycleError,
  DirectExecutor,
  DuplicateJobNameError,
  Experiment,
  LocalExecutor,
  Partial,
  Script,
  TaskCannotStartError,
  UnknownDependencyError,
  UnknownExperimentError,
  UnknownJobError,
} from "../src/index.js";
import type { ExperimentPlugin, JobStatus } from "../src/index.js";
import { tempWorkspace } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("api");
});
afterEach(() => ws.cleanup());

function newExperiment(title = "api", executor = new LocalExecutor({ maxParallel: 8 })): Experiment {
  return new Experiment(title, { executor, baseDir: ws.root, cleanMode: true });
}

async function statuses(exp: Experiment): Promise<Record<string, JobStatus>> {
  return (await exp.status({ returnDict: true })) as Record<string, JobStatus>;
}

const ms = (iso: string | undefined) => Date.parse(iso ?? "");

describe("Experiment.run", () => {
  it("runs a dependency graph: dependents start after their dependencies end, independent jobs overlap", async () => {
    await using exp = newExperiment();
    const prep = exp.add(new Script({ inline: "sleep 0.3; echo prepared" }), { name: "prep" });
    const a = exp.add(new Script({ inline: "sleep 0.8" }), { name: "train-a", dependencies: [prep] });
    const b = exp.add(new Script({ inline: "sleep 0.8" }), { name: "train-b", dependencies: [prep] });
    exp.add(new Script({ inline: "echo done" }), { name: "eval", dependencies: [a, b] });
    const result = await exp.run();

    expect(result.ok).toBe(true);
    expect(result.state).toBe("COMPLETED");
    expect(result.jobs.map((j) => [j.name, j.state, j.exitCode])).toEqual([
      ["prep", "COMPLETED", 0],
      ["train-a", "COMPLETED", 0],
      ["train-b", "COMPLETED", 0],
      ["eval", "COMPLETED", 0],
    ]);
    const s = await statuses(exp);
    expect(ms(s["train-a"]!.startedAt)).toBeGreaterThanOrEqual(ms(s.prep!.endedAt));
    expect(ms(s.eval!.startedAt)).toBeGreaterThanOrEqual(
      Math.max(ms(s["train-a"]!.endedAt), ms(s["train-b"]!.endedAt)),
    );
    // Parallel by default: the two training jobs ran at the same time.
    expect(ms(s["train-b"]!.startedAt)).toBeLessThan(ms(s["train-a"]!.endedAt));
    expect(await exp.logs("prep", { print: false })).toEqual(["prepared"]);
  });

  it("cancels the dependents of a failed job with the reason, and resolves with ok=false", async () => {
    await using exp = newExperiment();
    const prep = exp.add(new Script({ inline: "echo oops >&2; exit 4" }), { name: "prep" });
    const train = exp.add(new Script({ inline: "echo never" }), { name: "train", dependencies: [prep] });
    exp.add(new Script({ inline: "echo never" }), { name: "eval", dependencies: [train] });
    exp.add(new Script({ inline: "echo independent" }), { name: "other" });
    const result = await exp.run();

    expect(result.ok).toBe(false);
    expect(result.state).toBe("FAILED");
    expect(result.jobs).toEqual([
      { name: "prep", state: "FAILED", exitCode: 4, reason: "exit code 4" },
      { name: "train", state: "CANCELLED", reason: 'dependency "prep" failed' },
      { name: "eval", state: "CANCELLED", reason: 'dependency "train" cancelled' },
      { name: "other", state: "COMPLETED", exitCode: 0 },
    ]);
    expect(existsSync(join((await statuses(exp)).train!.directory, "started"))).toBe(false);
  });

  it("a fan-in over many jobs run one at a time waits for all of them and is cancelled by any one failing", async () => {
    await using exp = newExperiment("fan-in", new LocalExecutor({ maxParallel: 1 }));
    const root = exp.add(new Script({ inline: "true" }), { name: "root" });
    const middle = Array.from({ length: 12 }, (_, i) =>
      exp.add(new Script({ inline: i === 9 ? "exit 5" : "true" }), { name: `m${i}`, dependencies: [root] }),
    );
    exp.add(new Script({ inline: "echo never" }), { name: "final", dependencies: middle });
    exp.add(new Script({ inline: "true" }), { name: "after-last", dependencies: [middle[11]!] });
    const result = await exp.run();

    expect(result.ok).toBe(false);
    expect(result.jobs.map((job) => [job.name, job.state, job.reason])).toEqual([
      ["root", "COMPLETED", undefined],
      ...middle.map((_, i) => [
        `m${i}`,
        i === 9 ? "FAILED" : "COMPLETED",
        i === 9 ? "exit code 5" : undefined,
      ]),
      ["final", "CANCELLED", 'dependency "m9" failed'],
      ["after-last", "COMPLETED", undefined],
    ]);
    const s = await statuses(exp);
    // Every middle job ran after root, and nothing ran beside another (maxParallel 1).
    const ran = Object.values(s)
      .filter((job) => job.startedAt)
      .sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
    for (let i = 1; i < ran.length; i++)
      expect(ms(ran[i]!.startedAt)).toBeGreaterThanOrEqual(ms(ran[i - 1]!.endedAt));
    expect(existsSync(join(s.final!.directory, "started"))).toBe(false);
  });

  it("runs jobs one at a time in add order with sequential, and stops the chain at a failure", async () => {
    await using exp = newExperiment();
    for (const name of ["one", "two", "three"]) exp.add(new Script({ inline: "sleep 0.2" }), { name });
    exp.add(new Script({ inline: "exit 1" }), { name: "four" });
    exp.add(new Script({ inline: "true" }), { name: "five" });
    const result = await exp.run({ sequential: true });
    const s = await statuses(exp);
    expect(ms(s.two!.startedAt)).toBeGreaterThanOrEqual(ms(s.one!.endedAt));
    expect(ms(s.three!.startedAt)).toBeGreaterThanOrEqual(ms(s.two!.endedAt));
    expect(result.jobs.map((j) => j.state)).toEqual([
      "COMPLETED",
      "COMPLETED",
      "COMPLETED",
      "FAILED",
      "CANCELLED",
    ]);
  });

  it("never runs more than maxParallel jobs of one executor at once", async () => {
    await using exp = newExperiment("limit", new LocalExecutor({ maxParallel: 2 }));
    for (let i = 0; i < 5; i++) exp.add(new Script({ inline: "sleep 0.3" }), { name: `job${i}` });
    await exp.run();
    const jobs = Object.values(await statuses(exp));
    // At the moment each job started, how many were running?
    const concurrency = jobs.map(
      (job) =>
        jobs.filter((o) => ms(o.startedAt) <= ms(job.startedAt) && ms(o.endedAt) > ms(job.startedAt)).length,
    );
    expect(Math.max(...concurrency)).toBe(2);
  });

  it("runs a group added as a list side by side under one id that others can depend on", async () => {
    await using exp = newExperiment();
    const group = exp.add([new Script({ inline: "sleep 0.3" }), new Script({ inline: "sleep 0.3" })], {
      name: "pair",
    });
    exp.add(new Script({ inline: "true" }), { name: "after", dependencies: [group] });
    const result = await exp.run();
    expect(group).toBe("pair");
    expect(result.jobs.map((j) => j.name)).toEqual(["pair-0", "pair-1", "after"]);
    const s = await statuses(exp);
    expect(ms(s.after!.startedAt)).toBeGreaterThanOrEqual(
      Math.max(ms(s["pair-0"]!.endedAt), ms(s["pair-1"]!.endedAt)),
    );
  });

  it("calls a Partial's function in a child process and stores its result", async () => {
    await using exp = newExperiment();
    exp.add(new Partial({ module: join(fixtures, "steps.ts"), fn: "add", args: [2, 3] }), { name: "sum" });
    exp.add(new Partial({ module: join(fixtures, "steps.ts"), fn: "fail", args: ["bad input"] }), {
      name: "boom",
    });
    const result = await exp.run();
    const s = await statuses(exp);
    const stored = JSON.parse(readFileSync(join(s.sum!.directory, "result.json"), "utf8"));
    expect(stored.sum).toBe(5);
    expect(stored.pid).not.toBe(process.pid);
    expect(await exp.logs("sum", { print: false })).toEqual(["adding 2 and 3"]);
    expect(result.jobs[1]).toMatchObject({ state: "FAILED", exitCode: 1 });
    expect((await exp.logs("boom", { print: false })).join("\n")).toContain("bad input");
  });

  it("with direct, runs a Partial inside this process and Scripts in the foreground", async () => {
    await using exp = newExperiment();
    exp.add(new Partial({ module: join(fixtures, "steps.ts"), fn: "add", args: [1, 1] }), { name: "sum" });
    exp.add(new Script({ inline: "echo direct script" }), { name: "script" });
    const result = await exp.run({ direct: true });
    expect(result.ok).toBe(true);
    const s = await statuses(exp);
    expect(s.sum!.executor).toBe("direct");
    expect(JSON.parse(readFileSync(join(s.sum!.directory, "result.json"), "utf8")).pid).toBe(process.pid);
    expect(await exp.logs("script", { print: false })).toEqual(["direct script"]);
  });

  it("applies plugins to the task and executor, and tears them down with the outcome", async () => {
    const torndown: boolean[] = [];
    const plugin: ExperimentPlugin = {
      name: "env",
      setup: (task, executor) => ({
        task: task.with({ args: ["from-plugin"] }),
        executor: executor.with({ env: { PLUGIN_VAR: "set" } }),
      }),
      teardown: ({ ok }) => void torndown.push(ok),
    };
    await using exp = newExperiment();
    exp.add(new Script({ inline: 'echo "$PLUGIN_VAR $1"' }), { name: "p", plugins: [plugin] });
    await exp.run();
    expect(await exp.logs("p", { print: false })).toEqual(["set from-plugin"]);
    expect(torndown).toEqual([true]);
  });

  it("tells each job where it runs and where its tracked run lives", async () => {
    await using exp = newExperiment("env check");
    exp.add(
      new Script({
        inline:
          'echo "$LABRUN_JOB_NAME|$LABRUN_JOB_DIR|$LABRUN_RUN_DIR|$LABRUN_RUN_PREFIX|$LABRUN_EXPERIMENT_ID"',
      }),
      { name: "who" },
    );
    const result = await exp.run();
    const job = (await statuses(exp)).who!;
    const { user } = JSON.parse(readFileSync(join(result.dir, "experiment.json"), "utf8")) as {
      user: string;
    };
    expect(await exp.logs("who", { print: false })).toEqual([
      `who|${job.directory}|${join(job.directory, "run")}|${user}/env-check/${result.id}/who|${result.id}`,
    ]);
  });

  it("gives experiments started in the same second distinct <title>_<YYYYMMDD-HHMMSS> ids", async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(async () => {
        await using exp = newExperiment("same-second");
        exp.add(new Script({ inline: "true" }), { name: "t" });
        return (await exp.run()).id;
      }),
    );
    expect(new Set(runs).size).toBe(3);
    for (const id of runs) expect(id).toMatch(/^same-second_\d{8}-\d{6}(-\d+)?$/);
  });
});

describe("bad input", () => {
  function experimentsOnDisk(): string[] {
    const dir = join(ws.root, "experiments");
    return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
  }

  it("rejects duplicate job names", () => {
    const exp = newExperiment();
    exp.add(new Script({ inline: "true" }), { name: "x" });
    expect(() => exp.add(new Script({ inline: "true" }), { name: "x" })).toThrow(DuplicateJobNameError);
    try {
      exp.add(new Script({ inline: "true" }), { name: "x" });
    } catch (error) {
      expect((error as DuplicateJobNameError).code).toBe("DUPLICATE_JOB_NAME");
    }
    // Unnamed tasks get unique names instead.
    expect(exp.add(new Script({ inline: "true" }))).toBe("script");
    expect(exp.add(new Script({ inline: "true" }))).toBe("script-1");
  });

  it("rejects a cycle and an unknown dependency at run, before anything is written", async () => {
    const cyclic = newExperiment();
    cyclic.add(new Script({ inline: "true" }), { name: "a", dependencies: ["c"] });
    cyclic.add(new Script({ inline: "true" }), { name: "b", dependencies: ["a"] });
    cyclic.add(new Script({ inline: "true" }), { name: "c", dependencies: ["b"] });
    await expect(cyclic.run()).rejects.toThrow(DependencyCycleError);
    await expect(cyclic.run()).rejects.toThrow(/a → c → b → a|c → b → a → c|b → a → c → b/);

    const dangling = newExperiment();
    dangling.add(new Script({ inline: "true" }), { name: "a", dependencies: ["typo"] });
    await expect(dangling.run()).rejects.toMatchObject({ code: "UNKNOWN_DEPENDENCY" });
    await expect(dangling.run()).rejects.toThrow(UnknownDependencyError);
    expect(experimentsOnDisk()).toEqual([]);
  });

  it("rejects a task that cannot start: missing file, unknown interpreter, not executable", () => {
    const exp = newExperiment();
    expect(() => exp.add(new Script({ path: "/no/such/train.py" }))).toThrow(TaskCannotStartError);
    expect(() =>
      exp.add(new Script({ path: join(fixtures, "steps.ts"), entrypoint: "no-such-python" })),
    ).toThrow(/Interpreter "no-such-python".*not on PATH/);
    expect(() => exp.add(new Script({ path: join(fixtures, "steps.ts"), entrypoint: "" }))).toThrow(
      /not executable/,
    );
    expect(() => exp.add(new Partial({ module: "/no/such/module.ts" }))).toThrow(TaskCannotStartError);
    expect(exp.jobs).toEqual([]);
  });

  it("reports an unknown experiment id and an unknown job with typed errors", async () => {
    await expect(Experiment.fromId("nope_20200101-000000", { baseDir: ws.root })).rejects.toThrow(
      UnknownExperimentError,
    );
    await using exp = newExperiment();
    exp.add(new Script({ inline: "true" }), { name: "only" });
    await exp.run();
    await expect(exp.logs("7")).rejects.toThrow(UnknownJobError);
    await expect(exp.cancel("missing")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });
});

describe("inspecting experiments", () => {
  it("finds experiments again by id and title, lists them, and reports status, logs and config", async () => {
    const first = newExperiment("inspect");
    first.add(new Script({ inline: "echo alpha; echo beta; echo gamma >&2" }), { name: "talk" });
    await first.run();
    const second = newExperiment("inspect");
    second.add(new Script({ inline: "true" }), { name: "quiet" });
    await second.run();

    expect(Experiment.catalog("inspect", { baseDir: ws.root })).toEqual([first.id, second.id]);
    expect(Experiment.catalog(undefined, { baseDir: ws.root })).toHaveLength(2);
    const latest = await Experiment.fromTitle("inspect", { baseDir: ws.root, cleanMode: true });
    expect(latest.id).toBe(second.id);

    const again = await Experiment.fromId(first.id, { baseDir: ws.root, cleanMode: true });
    const s = (await again.status({ returnDict: true })) as Record<string, JobStatus>;
    expect(s.talk).toMatchObject({
      index: 0,
      state: "COMPLETED",
      exitCode: 0,
      executor: "local",
      attempt: 1,
    });
    expect(s.talk!.jobId).toMatch(/^local:/);
    expect(await again.logs("0", { regex: "^(alpha|gamma)$", print: false })).toEqual(["alpha", "gamma"]);
    expect(again.toConfig()).toMatchObject({
      title: "inspect",
      id: first.id,
      jobs: [
        {
          name: "talk",
          task: { kind: "script", inline: "echo alpha; echo beta; echo gamma >&2" },
          executor: { kind: "local" },
        },
      ],
    });
    const table = (await again.status()) as string;
    expect(table).toContain(`Experiment status for ${first.id}`);
    expect(table).toMatch(/0\s+talk\s+COMPLETED\s+local/);
  });

  it("dryrun shows what would run and starts nothing", async () => {
    const exp = newExperiment("dry");
    const a = exp.add(new Script({ path: join(fixtures, "steps.ts"), args: ["--x=1"] }), { name: "a" });
    exp.add(new Script({ inline: "true" }), { name: "b", dependencies: [a] });
    const plan = await exp.dryrun({ log: false });
    expect(plan.map((p) => [p.name, p.dependencies])).toEqual([
      ["a", []],
      ["b", ["a"]],
    ]);
    expect(plan[0]!.argv.slice(-2)).toEqual([join(fixtures, "steps.ts"), "--x=1"]);
    expect(plan[0]!.identity).toBe(exp.tasks[0]!.identity);
    expect(existsSync(join(ws.root, "jobs"))).toBe(false);
    expect(Experiment.catalog("dry", { baseDir: ws.root })).toEqual([]);
    expect(existsSync(join(ws.root, "experiments", "dry"))).toBe(false);
  });

  it("reset gives a new experiment with the same jobs that runs again", async () => {
    const exp = newExperiment("again");
    exp.add(new Script({ inline: "echo run" }), { name: "r" });
    await exp.run();
    const loaded = await Experiment.fromId(exp.id, { baseDir: ws.root, cleanMode: true });
    const fresh = loaded.reset();
    expect(fresh.jobs.map((j) => [j.name, j.state])).toEqual([["r", "PENDING"]]);
    const result = await fresh.run();
    expect(result.id).not.toBe(exp.id);
    expect(result.ok).toBe(true);
  });

  it("Experiment.with runs the function and waits for the run", async () => {
    const result = await Experiment.with("with", { baseDir: ws.root, cleanMode: true }, async (exp) => {
      exp.add(new Script({ inline: "true" }), { name: "w" });
      return exp.run();
    });
    expect(result.ok).toBe(true);
  });

  it("a direct executor can be used for one job while others run locally", async () => {
    await using exp = newExperiment();
    exp.add(new Script({ inline: "echo here" }), { name: "d", executor: new DirectExecutor() });
    exp.add(new Script({ inline: "echo there" }), { name: "l" });
    const result = await exp.run();
    expect(result.ok).toBe(true);
    expect(Object.values(await statuses(exp)).map((s) => s.executor)).toEqual(["direct", "local"]);
  });
});

describe("retries", () => {
  it("submits a failed job again after a growing wait, until it succeeds or its retries run out", async () => {
    await using exp = newExperiment("retry");
    // Fails twice, then succeeds: records when each attempt starts in a file of its own.
    const flaky = `date +%s%3N >> "$LABRUN_JOB_DIR/starts"; n=$(wc -l < "$LABRUN_JOB_DIR/starts"); echo "attempt $LABRUN_JOB_ATTEMPT"; [ $n -ge 3 ]`;
    exp.add(new Script({ inline: flaky }), { name: "flaky", retries: 3, retryDelayMs: 100 });
    exp.add(new Script({ inline: "echo always; exit 2" }), { name: "broken", retries: 1, retryDelayMs: 100 });
    exp.add(new Script({ inline: "true" }), { name: "after-broken", dependencies: ["broken"] });
    const result = await exp.run();
    const s = await statuses(exp);
    expect(s.flaky).toMatchObject({ state: "COMPLETED", attempt: 3, retries: 3, exitCode: 0 });
    expect(await exp.logs("flaky", { print: false })).toEqual(["attempt 1", "attempt 2", "attempt 3"]);
    expect(s.broken).toMatchObject({ state: "FAILED", attempt: 2, retries: 1, exitCode: 2 });
    expect(s["after-broken"]).toMatchObject({ state: "CANCELLED", reason: 'dependency "broken" failed' });
    expect(result.ok).toBe(false);
    // The waits grow: 100 ms before the 2nd attempt, 200 ms before the 3rd.
    const starts = readFileSync(join(s.flaky!.directory, "starts"), "utf8").trim().split("\n").map(Number);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(100);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(200);
    const table = await exp.status();
    expect(table).toMatch(/flaky\s+COMPLETED attempt 3\/4/);
  });

  it("rejects a negative retry count", () => {
    const exp = newExperiment();
    expect(() => exp.add(new Script({ inline: "true" }), { retries: -1 })).toThrow(
      /retries must be a whole number/,
    );
  });
});
