import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Script } from "../../src/index.js";
import { tempWorkspace } from "../helpers.js";
import { newExperiment, read, slurm, slurmEnabled } from "./helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("slurm-timeout");
});
afterEach(() => ws.cleanup());

// Slurm enforces time limits on a periodic check (about once a minute here): this file takes that long,
// and runs beside the other Slurm files.
it.skipIf(!slurmEnabled)(
  "reports a job Slurm killed at its time limit as FAILED with reason TIMEOUT",
  { timeout: 180_000 },
  async () => {
    await using exp = newExperiment(ws.root, "timeout", slurm({ time: "0:01" }));
    exp.add(new Script({ inline: "echo working; sleep 600" }), { name: "slow" });
    const result = await exp.run();
    const job = result.jobs[0]!;
    expect(job.state).toBe("FAILED");
    expect(job.reason).toMatch(/^TIMEOUT: Slurm killed the job at its time limit/);
    const status = exp.jobs[0]!;
    expect(read(join(status.directory, `slurm-${status.jobId}.out`))).toContain("DUE TO TIME LIMIT");
  },
);
