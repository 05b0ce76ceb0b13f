import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readJson, runCli, tempWorkspace } from "../helpers.js";
import { eventOf, projectDir, runPlan, workspaceIn } from "./plan-helpers.js";

// Several real processes (Node, Python) per test: room for a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

let scratch: ReturnType<typeof tempWorkspace>;
let project: string;
beforeEach(() => {
  scratch = tempWorkspace("plan");
  project = projectDir(scratch.root);
});
afterEach(() => scratch.cleanup());

const plan = (jobs: unknown[], extra: Record<string, unknown> = {}) => ({
  labrunPlan: 1,
  title: "py-plan",
  cwd: project,
  logLevel: "WARN",
  jobs,
  ...extra,
});

describe("labrun plan run", () => {
  it("runs a script, a group of Python partials after it and typed tasks linked by data flow, and answers in events", () => {
    const prepare = {
      kind: "python-task",
      taskId: "test.prepare",
      module: "steps",
      qualname: "Prepare",
      params: { n: 5, verbose: true },
      meta: [["verbose"]],
    };
    const prepared = runPlan(plan([{ name: "probe", task: prepare }], { mode: "DRY_RUN" }), scratch.root);
    const prepareIdentity = (eventOf(prepared.events, "planned").jobs as { identity: string }[])[0]!.identity;
    const result = runPlan(
      plan([
        { name: "prep", task: { kind: "script", inline: "echo preparing; labrun --version" } },
        {
          name: "train",
          tasks: [
            { kind: "python-partial", module: "steps", function: "train", kwargs: { lr: 0.1 } },
            {
              kind: "python-partial",
              file: "steps.py",
              function: "train",
              args: [0.5],
              kwargs: { epochs: 4 },
            },
          ],
          dependencies: ["prep"],
        },
        { name: "prepare", task: prepare },
        {
          name: "count",
          task: {
            kind: "python-task",
            taskId: "test.count",
            module: "steps",
            qualname: "Count",
            params: {
              data: { $task: "test.prepare", $identity: prepareIdentity, $path: "data.txt" },
              whole: { $task: "test.prepare", $identity: prepareIdentity },
            },
          },
        },
      ]),
      scratch.root,
    );
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);

    const planned = eventOf(result.events, "planned");
    const jobs = planned.jobs as {
      name: string;
      identity: string;
      taskKind: string;
      dir: string;
      dependencies: string[];
    }[];
    expect(jobs.map((job) => job.name)).toEqual(["prep", "train-0", "train-1", "prepare", "count"]);
    expect(jobs.map((job) => job.taskKind)).toEqual([
      "script",
      "python-partial",
      "python-partial",
      "python-task",
      "python-task",
    ]);
    expect(jobs[3]!.identity).toBe(prepareIdentity);
    expect(jobs[1]!.dependencies).toEqual(["prep"]);
    // The data-flow reference made "prepare" a dependency of "count" by itself.
    expect(jobs[4]!.dependencies).toEqual(["prepare"]);
    expect(planned.dir).toMatch(/experiments\/py-plan\/py-plan_/);

    // Events: every job went RUNNING then COMPLETED, the result came last.
    const states = (name: string) =>
      result.events.filter((e) => e.event === "job" && e.name === name).map((e) => e.state);
    for (const job of jobs)
      expect(states(job.name)).toEqual(expect.arrayContaining(["RUNNING", "COMPLETED"]));
    const last = result.events.at(-1)!;
    expect(last).toMatchObject({
      event: "result",
      ok: true,
      state: "COMPLETED",
      exitCode: 0,
      detached: false,
    });
    // (LABRUN_HOME is the workspace here, so the hint needs no --workspace)
    expect(last.hint).toBe(`labrun experiment status ${planned.id as string}`);

    // What the jobs did: return values, the CLI found from inside, upstream paths resolved.
    const train0 = readJson(join(jobs[1]!.dir, "result.json"));
    expect(train0).toMatchObject({
      lr: 0.1,
      loss: 0.833333,
      labrun: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(train0.cli).toMatch(/bin\/labrun\.js$/);
    expect(readJson(join(jobs[2]!.dir, "result.json"))).toMatchObject({ lr: 0.5, loss: 0.333333 });
    expect(readFileSync(join(jobs[0]!.dir, "stdout.log"), "utf8")).toMatch(/preparing\n\d+\.\d+\.\d+/);
    expect(readFileSync(join(jobs[4]!.dir, "stdout.log"), "utf8")).toBe("rows=5 whole_is_dir=True\n");
    expect(readJson(join(jobs[3]!.dir, "params.json"))).toEqual({ n: 5, verbose: true });

    // Another process reads it back from disk like any experiment.
    const status = runCli(["experiment", "status", planned.id as string, "--json"], {
      workspace: workspaceIn(scratch.root),
    });
    expect(status.code).toBe(0);
    const listed = JSON.parse(status.stdout) as
      { jobs?: { name: string; state: string }[] } | { name: string; state: string }[];
    const rows = Array.isArray(listed) ? listed : (listed.jobs ?? []);
    expect(rows.map((row) => row.state)).toEqual(Array(5).fill("COMPLETED"));

    // The typed task is reused by the next plan (same identity), the partials run again.
    const again = runPlan(plan([{ name: "prepare", task: prepare }]), scratch.root);
    expect(again.code).toBe(0);
    expect(eventOf(again.events, "planned").jobs).toMatchObject([
      { identity: prepareIdentity, reused: true },
    ]);
  });

  it("exits 1 when a job fails, with the failure in the result event", () => {
    const result = runPlan(
      plan([
        {
          name: "bad",
          task: {
            kind: "python-partial",
            module: "steps",
            function: "train",
            args: [1],
            kwargs: { fail: true },
          },
        },
      ]),
      scratch.root,
    );
    expect(result.code).toBe(1);
    expect(eventOf(result.events, "result")).toMatchObject({
      ok: false,
      state: "FAILED",
      exitCode: 1,
      jobs: [{ name: "bad", state: "FAILED", exitCode: 1 }],
    });
    expect(result.stderr).toContain("bad failed");
  });

  it("DRY_RUN lists the jobs and GENERATE writes a runnable script per job; neither runs anything", () => {
    const jobs = [
      { name: "train", task: { kind: "python-partial", module: "steps", function: "train", args: [0.2] } },
    ];
    const dry = runPlan(plan(jobs, { mode: "DRY_RUN" }), scratch.root);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("DRY_RUN");
    expect(eventOf(dry.events, "planned")).toMatchObject({
      mode: "DRY_RUN",
      dir: null,
      jobs: [{ name: "train", reused: false }],
    });
    const experiments = join(workspaceIn(scratch.root), "experiments");
    expect(existsSync(experiments) ? readdirSync(experiments) : []).toEqual([]);

    const generated = runPlan(plan(jobs, { mode: "GENERATE" }), scratch.root);
    expect(generated.code).toBe(0);
    const script = (eventOf(generated.events, "planned").jobs as { script: string }[])[0]!.script;
    expect(script).toMatch(/run\.sh$/);
    expect(readdirSync(join(script, "..")).sort()).toEqual(["call.json", "params.json", "run.sh"]);
    const out = spawnSync("bash", [script], { encoding: "utf8", cwd: "/" });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain("train lr=0.2 epochs=2");
  });
});
