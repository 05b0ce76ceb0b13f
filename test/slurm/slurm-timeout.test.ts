import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Script } from "../../src/index.js";
import { tempWorkspace } from "../helpers.js";
import { newExperiment, read, slurm, slurmEnabled } from "./helpers.js";

const ws = tempWorkspace("slurm-timeout");
afterAll(() => ws.cleanup());

// Slurm enforces time limits on a periodic check (about once a minute here): these tests take that long, so
// they run side by side, and beside the other Slurm files.
describe.skipIf(!slurmEnabled).concurrent("time limits", { timeout: 240_000 }, () => {
  it("reports a job Slurm killed at its time limit as FAILED with reason TIMEOUT", async () => {
    await using exp = newExperiment(ws.root, "timeout", slurm({ time: "0:01" }));
    exp.add(new Script({ inline: "echo working; sleep 600" }), { name: "slow" });
    const result = await exp.run();
    const job = result.jobs[0]!;
    expect(job.state).toBe("FAILED");
    expect(job.reason).toMatch(/^TIMEOUT: Slurm killed the job at its time limit/);
    const status = exp.jobs[0]!;
    expect(read(join(status.directory, `slurm-${status.jobId}.out`))).toContain("DUE TO TIME LIMIT");
  });

  it("requeues a resumable job after TIMEOUT, telling it which resume it is, and keeps each attempt's log", async () => {
    await using exp = newExperiment(ws.root, "resumable", slurm({ time: "0:01", resumeOnTimeout: 1 }));
    const inline = [
      'echo "run with LABRUN_RESUME_COUNT=$LABRUN_RESUME_COUNT"',
      '[ "$LABRUN_RESUME_COUNT" = 1 ] && exit 0',
      "sleep 600",
    ].join("\n");
    exp.add(new Script({ inline }), { name: "resumable" });
    const result = await exp.run();
    expect(result.jobs[0]).toMatchObject({ state: "COMPLETED", exitCode: 0 });
    const dir = exp.jobs[0]!.directory;
    expect(read(join(dir, "stdout.resume-0.log"))).toBe("run with LABRUN_RESUME_COUNT=0\n");
    expect(read(join(dir, "stdout.log"))).toBe("run with LABRUN_RESUME_COUNT=1\n");
  });
});
