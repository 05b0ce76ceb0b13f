import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PythonTask } from "../../src/index.js";
import { typedTaskIdentity } from "../../src/experiment/plan/index.js";
import { repoRoot } from "../helpers.js";

// The one golden file both languages check (clients/python/tests/test_launch_identity.py reads it too).
interface GoldenCase {
  readonly label: string;
  readonly taskId: string;
  readonly params: Record<string, unknown>;
  readonly meta: string[][];
  readonly identity: string;
}
const golden = JSON.parse(
  readFileSync(join(repoRoot, "test", "fixtures", "golden-identities.json"), "utf8"),
) as { cases: GoldenCase[] };

describe("the golden identities", () => {
  it("cover floats, unicode, integer-like keys, nesting, meta paths and data-flow references", () => {
    const labels = golden.cases.map((c) => c.label);
    for (const expected of ["floats", "unicode", "integer-like keys", "nested objects and lists"])
      expect(labels).toContain(expected);
    expect(golden.cases.some((c) => c.meta.some((path) => path.includes("*")))).toBe(true);
    expect(JSON.stringify(golden.cases)).toContain('"$path"');
  });

  it.each(golden.cases.map((c) => [c.label, c] as const))("%s", (_label, c) => {
    expect(typedTaskIdentity(c.taskId, c.params, c.meta)).toBe(c.identity);
    // The task a plan builds computes the same, and accepts the client's identity when it agrees.
    const task = new PythonTask({
      taskId: c.taskId,
      qualname: "Task",
      module: "tasks",
      params: c.params,
      meta: c.meta,
      identity: c.identity,
    });
    expect(task.identity).toBe(c.identity);
  });

  it("meta values and key order do not change an identity; parameters and $path do", () => {
    const meta = golden.cases.find((c) => c.label === "meta excluded at depth")!;
    const changedMeta = {
      ...meta.params,
      verbose: false,
      opt: { logEvery: 999, name: "sgd" },
      layers: [
        { dropout: 0.9, size: 8 },
        { size: 4, dropout: 0 },
      ],
    };
    expect(typedTaskIdentity(meta.taskId, changedMeta, meta.meta)).toBe(meta.identity);
    expect(typedTaskIdentity(meta.taskId, { ...meta.params, lr: 0.02 }, meta.meta)).not.toBe(meta.identity);
    const withPath = golden.cases.find((c) => c.label === "data-flow reference with $path")!;
    const whole = golden.cases.find((c) => c.label === "data-flow reference")!;
    expect(withPath.identity).not.toBe(whole.identity);
  });
});
