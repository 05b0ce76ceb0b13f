import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Experiment, LocalExecutor, Partial, Run, Script } from "../src/index.js";
import { tempWorkspace } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("job-runs");
});
afterEach(() => ws.cleanup());

describe("a launched job's tracked run", () => {
  it("is bound by the environment, holds the task's parameters, the job's output, system metrics and its metrics", async () => {
    const exp = new Experiment("tracked", {
      baseDir: ws.root,
      cleanMode: true,
      executor: new LocalExecutor(),
      systemMetricsIntervalMs: 250,
    });
    exp.add(new Partial({ module: join(fixtures, "steps.ts"), fn: "trainTracked", args: [8] }), {
      name: "train",
    });
    expect((await exp.run()).ok).toBe(true);

    const status = (await exp.status({ returnDict: true })).train!;
    expect(status.metrics).toMatchObject({ "train.loss": 0.125, "train.step": 8 });
    const run = Run.open({ dir: join(status.directory, "run") });
    expect(run.status).toBe("COMPLETED"); // the job owned its run and completed it
    expect(run.prefix).toMatch(new RegExp(`^[^/]+/tracked/${exp.id}/train$`));
    expect(run.params.get()).toMatchObject({ lr: 0.01, "task.fn": "trainTracked", "job.name": "train" });
    const logs = await run.logs.read({});
    expect(logs.records.map((record) => record.message)).toEqual(
      expect.arrayContaining(["step 1", "step 8"]),
    );
    const system = await run.metrics("system").read({});
    expect(system.points.length).toBeGreaterThanOrEqual(1);
    expect(system.points[0]!.data).toHaveProperty("cpu_percent");
    expect(system.points[0]!.data).toHaveProperty("proc_rss_mb");
  });

  it("takes the job's outcome as its status when the job does not report one", async () => {
    const exp = new Experiment("plain", { baseDir: ws.root, cleanMode: true });
    exp.add(new Script({ inline: "echo working; exit 3" }), { name: "broken" });
    exp.add(new Script({ inline: "echo fine" }), { name: "fine" });
    await exp.run();
    const jobs = await exp.status({ returnDict: true });
    const broken = Run.open({ dir: join(jobs.broken!.directory, "run") });
    expect(broken.status).toBe("FAILED");
    expect(broken.info().statusReason).toBe("exit code 3");
    expect((await broken.logs.read({})).records.map((r) => r.message)).toEqual(["working"]);
    expect(Run.open({ dir: join(jobs.fine!.directory, "run") }).status).toBe("COMPLETED");
    expect(jobs.fine!.metrics).toEqual({});
  });
});
