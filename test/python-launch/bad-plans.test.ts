import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempWorkspace } from "../helpers.js";
import { projectDir, runPlan, workspaceIn } from "./plan-helpers.js";

let scratch: ReturnType<typeof tempWorkspace>;
let project: string;
beforeAll(() => {
  scratch = tempWorkspace("bad-plans");
  project = projectDir(scratch.root);
});
afterAll(() => scratch.cleanup());

const partial = (extra: Record<string, unknown> = {}) => ({
  kind: "python-partial",
  module: "steps",
  function: "train",
  args: [0.1],
  ...extra,
});
const plan = (jobs: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ labrunPlan: 1, title: "bad", cwd: project, jobs, ...extra });

// Each bad plan: the code TypeScript uses for the same mistake, exit 1, one line, nothing written or launched.
const cases: [string, string, string, RegExp][] = [
  ["not JSON", "{ labrunPlan: 1", "PLAN_INVALID", /is not JSON/],
  [
    "a newer protocol version",
    JSON.stringify({ labrunPlan: 3, title: "x", jobs: [] }),
    "PLAN_VERSION",
    /version 3/,
  ],
  [
    "an unknown top-level field",
    plan([{ name: "a", task: partial() }], { detach: true }),
    "PLAN_INVALID",
    /unknown option "detach"/,
  ],
  [
    "an unknown executor option",
    plan([{ name: "a", task: partial(), executor: { kind: "slurm", partition: "debug", gpus: 2 } }]),
    "INVALID_EXECUTOR",
    /jobs\[0\]\.executor: unknown option "gpus"/,
  ],
  [
    "an unknown executor kind",
    plan([{ name: "a", task: partial(), executor: { kind: "kubernetes" } }]),
    "INVALID_EXECUTOR",
    /expected one of "local", "direct", "slurm"/,
  ],
  [
    "a bad executor value",
    plan([{ name: "a", task: partial(), executor: { kind: "local", maxParallel: 0 } }]),
    "INVALID_EXECUTOR",
    /maxParallel/,
  ],
  [
    "a dependency on an unknown id",
    plan([{ name: "a", task: partial(), dependencies: ["nope"] }]),
    "UNKNOWN_DEPENDENCY",
    /depends on "nope"/,
  ],
  [
    "a cycle",
    plan([
      { name: "a", task: partial(), dependencies: ["b"] },
      { name: "b", task: partial(), dependencies: ["a"] },
    ]),
    "DEPENDENCY_CYCLE",
    /a → b → a|b → a → b/,
  ],
  [
    "a script with both inline and path",
    plan([{ name: "a", task: { kind: "script", inline: "echo", path: "x.sh" } }]),
    "INVALID_TASK",
    /exactly one of `inline`/,
  ],
  [
    "a lambda",
    plan([{ name: "a", task: partial({ function: "<lambda>" }) }]),
    "INVALID_TASK",
    /lambda or a function defined inside another/,
  ],
  [
    "an argument that is not JSON (1e999 is Infinity)",
    plan([{ name: "a", task: partial({ args: [1] }) }]).replace('"args":[1]', '"args":[1e999]'),
    "INVALID_TASK",
    /NaN and Infinity are not JSON/,
  ],
  ["an unknown task kind", plan([{ name: "a", task: { kind: "notebook" } }]), "INVALID_TASK", /unknown kind/],
  [
    "an output of a task not in the plan",
    plan([
      {
        name: "a",
        task: {
          kind: "python-task",
          taskId: "t",
          module: "steps",
          qualname: "Count",
          params: { data: { $task: "prep", $identity: "0".repeat(64) }, whole: "x" },
        },
      },
    ]),
    "UNKNOWN_DEPENDENCY",
    /the output of task prep/,
  ],
  [
    "an identity the engine does not agree with",
    plan([
      {
        name: "a",
        task: {
          kind: "python-task",
          taskId: "t",
          module: "steps",
          qualname: "Prepare",
          params: { n: 1 },
          identity: "f".repeat(64),
        },
      },
    ]),
    "INVALID_TASK",
    /disagree on identities/,
  ],
  [
    "two jobs with one name",
    plan([
      { name: "a", task: partial() },
      { name: "a", task: partial() },
    ]),
    "DUPLICATE_JOB_NAME",
    /"a"/,
  ],
  [
    "a Python file that does not exist",
    plan([{ name: "a", task: { kind: "python-partial", file: "missing.py", function: "f" } }]),
    "TASK_CANNOT_START",
    /missing\.py does not exist/,
  ],
];

describe("labrun plan run refuses a bad plan before anything is written", () => {
  const table = cases.map(([what, text, code, message]) => ({ what, text, code, message }));
  it.each(table)("$what → $code", ({ text, code, message }) => {
    const result = runPlan(text, scratch.root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error \\[${code}\\] `));
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.events).toEqual([
      { event: "error", code, message: expect.stringMatching(message), details: expect.any(Object) },
    ]);
    expect(existsSync(join(workspaceIn(scratch.root), "experiments"))).toBe(false);
    expect(existsSync(join(workspaceIn(scratch.root), "jobs"))).toBe(false);
  });

  it("a cycle is refused with the cycle's path", () => {
    const text = plan([
      { name: "a", task: partial(), dependencies: ["c"] },
      { name: "b", task: partial(), dependencies: ["a"] },
      { name: "c", task: partial(), dependencies: ["b"] },
    ]);
    const result = runPlan(text, scratch.root);
    expect(result.events[0]).toMatchObject({
      code: "DEPENDENCY_CYCLE",
      details: { cycle: expect.arrayContaining(["a", "b", "c"]) },
    });
  });
});
