import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli, tempWorkspace, waitFor } from "../helpers.js";
import { eventOf, projectDir, runPlan, startPlan, workspaceIn } from "./plan-helpers.js";

// Several real processes (Node, Python) per test: room for a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

let scratch: ReturnType<typeof tempWorkspace>;
let project: string;
beforeEach(() => {
  scratch = tempWorkspace("plan-reattach");
  project = projectDir(scratch.root);
});
afterEach(() => scratch.cleanup());

const slow = (seconds: number) => ({
  kind: "python-partial",
  module: "steps",
  function: "slow",
  args: [seconds],
});
const train = { kind: "python-partial", module: "steps", function: "train", args: [0.1] };
const plan = (run: Record<string, unknown> = {}, seconds = 30) => ({
  labrunPlan: 1,
  title: "py-reattach",
  cwd: project,
  run,
  jobs: [
    { name: "slow", task: slow(seconds) },
    { name: "after", task: train, dependencies: ["slow"] },
  ],
});
const cli = (...args: string[]) => runCli(args, { workspace: workspaceIn(scratch.root) });
const statesOf = (id: string) => {
  const out = cli("experiment", "status", id, "--json");
  expect(out.stderr).toBe("");
  return Object.fromEntries(
    (JSON.parse(out.stdout) as { jobs: { name: string; state: string }[] }).jobs.map((j) => [
      j.name,
      j.state,
    ]),
  );
};

describe("a Python-planned experiment from other processes", () => {
  it("detached: status, logs and cancel from the CLI rebuild its Python jobs from disk", async () => {
    const launched = runPlan(plan({ detach: true }), scratch.root);
    expect(launched.code).toBe(0);
    const result = eventOf(launched.events, "result");
    expect(result).toMatchObject({ detached: true, ok: true });
    // The hint printed on detach speaks Python for a Python plan.
    expect(launched.stderr).toContain(`exp = run.Experiment.from_id("${result.id as string}")`);
    const id = result.id as string;

    await waitFor("the slow job to print", () =>
      cli("experiment", "logs", id, "slow").stdout.includes("slow started"),
    );
    expect(statesOf(id)).toEqual({ slow: "RUNNING", after: "WAITING" });

    const cancel = cli("experiment", "cancel", id, "slow");
    expect(cancel.code).toBe(0);
    await waitFor("the cancel to reach both jobs", () => {
      const states = statesOf(id);
      return states.slow === "CANCELLED" && states.after === "CANCELLED" && states;
    });
  });

  it("SIGKILL of the driver, then labrun experiment resume finishes the jobs", async () => {
    const run = startPlan(plan({}, 3), scratch.root);
    const id = await waitFor("the slow job to run", () => {
      const events = run.events();
      const running = events.some((e) => e.event === "job" && e.name === "slow" && e.state === "RUNNING");
      return running && (events.find((e) => e.event === "planned")?.id as string | undefined);
    });
    run.child.kill("SIGKILL");
    await run.exited;
    const resumed = cli("experiment", "resume", id);
    expect(resumed.stderr).toContain("COMPLETED: 2/2");
    expect(resumed.code).toBe(0);
    expect(statesOf(id)).toEqual({ slow: "COMPLETED", after: "COMPLETED" });
    const logs = cli("experiment", "logs", id, "after");
    expect(logs.stdout).toContain("train lr=0.1 epochs=2");
  });
});
