import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Experiment, Run, Script } from "../../src/index.js";
import { repoRoot, tempWorkspace } from "../helpers.js";

// Created by scripts/test-python.sh, which `npm test` runs first.
const python = join(repoRoot, ".venv-python", "bin", "python");
let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("python-job");
});
afterEach(() => ws.cleanup());

describe("a launched Python job", () => {
  it.skipIf(!existsSync(python))(
    "writes into its own run with labrun.Run.current(), shown in the experiment's status",
    async () => {
      const exp = new Experiment("py", { baseDir: ws.root, cleanMode: true });
      exp.add(
        new Script({
          path: join(repoRoot, "test", "fixtures", "python", "train_tracked.py"),
          entrypoint: python,
        }),
        {
          name: "train",
        },
      );
      expect((await exp.run()).ok).toBe(true);
      const job = (await exp.status({ returnDict: true })).train!;
      expect(job.metrics).toEqual({ "train.loss": 0.2, "train.step": 5 });
      const run = Run.open({ dir: join(job.directory, "run") });
      expect(run.status).toBe("COMPLETED");
      expect(run.params.get()).toMatchObject({ lr: 0.01, "model.depth": 18, "job.name": "train" });
      expect((await run.logs.read({})).records.map((r) => r.message)).toContain("step 5");
    },
  );
});
