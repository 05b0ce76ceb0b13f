import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalTunnel, Script, SlurmExecutor, SlurmSubmitError } from "../../src/index.js";
import type { Executor, ExecutorJobStatus, JobRef } from "../../src/extend.js";
import { tempWorkspace } from "../helpers.js";
import { newExperiment, read, scontrol, slurm, slurmEnabled } from "./helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("slurm-faults");
});
afterEach(() => ws.cleanup());

async function submit(executor: Executor, inline: string, name = "probe"): Promise<JobRef> {
  const jobDir = mkdtempSync(join(ws.root, "job-"));
  const script = new Script({ inline });
  const handle = await executor.submit({
    jobDir,
    jobName: name,
    experimentId: "faults",
    task: script,
    spec: script.launchSpec({ jobDir, jobName: name }),
    labrunEnv: { LABRUN_JOB_DIR: jobDir },
  });
  return { jobDir, handle };
}

async function waitFor(
  executor: Executor,
  job: JobRef,
  done: (status: ExecutorJobStatus) => boolean,
  timeoutMs = 30_000,
): Promise<ExecutorJobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [status] = await executor.status([job]);
    if (status && done(status)) return status;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(status)}`);
    await sleep(100);
  }
}

function queuedNamed(name: string): string {
  return spawnSync("squeue", ["-h", "-r", "-t", "all", "-n", name, "-o", "%i|%T"], {
    encoding: "utf8",
  }).stdout.trim();
}

describe.skipIf(!slurmEnabled)("Slurm faults", () => {
  it("turns an sbatch rejection into a typed error carrying Slurm's message", async () => {
    const badPartition = submit(slurm({ partition: "no-such-partition" }), "echo hi");
    await expect(badPartition).rejects.toThrow(SlurmSubmitError);
    await expect(badPartition).rejects.toThrow(/invalid partition/i);
    const badTime = submit(slurm({ time: "soon" }), "echo hi");
    await expect(badTime).rejects.toMatchObject({ code: "SLURM_SUBMIT_REJECTED" });
    await expect(badTime).rejects.toThrow(/Invalid --time specification/);
  });

  it("fails every element of a rejected array with Slurm's reason and submits none of them", async () => {
    const name = `rejected-${Date.now()}`;
    await using exp = newExperiment(ws.root, "rejected", slurm({ time: "bogus", jobName: name }));
    for (const seed of [1, 2, 3]) exp.add(new Script({ inline: `echo ${seed}` }), { name: `seed-${seed}` });
    const result = await exp.run();
    expect(result.jobs.map((job) => job.state)).toEqual(["FAILED", "FAILED", "FAILED"]);
    for (const job of result.jobs)
      expect(job.reason).toMatch(/Slurm rejected job .*Invalid --time specification/);
    expect(queuedNamed(name)).toBe("");
  });

  it("submits all of a batch or nothing: a refused sbatch cancels what the others submitted", async () => {
    const name = `all-or-nothing-${Date.now()}`;
    const executor = slurm({ jobName: name });
    const submission = (inline: string, dependsOn?: string[]) => {
      const jobDir = mkdtempSync(join(ws.root, "job-"));
      const script = new Script({ inline });
      return {
        jobDir,
        jobName: "member",
        experimentId: "faults",
        task: script,
        spec: script.launchSpec({ jobDir, jobName: "member" }),
        labrunEnv: { LABRUN_JOB_DIR: jobDir },
        ...(dependsOn ? { dependsOn } : {}),
      };
    };
    // Two groups: an array of two, and a job held on job id 0, which sbatch refuses.
    const batch = executor.submitArray([
      submission("sleep 30"),
      submission("echo held", ["0"]),
      submission("sleep 30"),
    ]);
    await expect(batch).rejects.toThrow(SlurmSubmitError);
    const states = queuedNamed(name)
      .split("\n")
      .map((line) => line.split("|")[1]);
    expect(states).toEqual(["CANCELLED", "CANCELLED"]);
  });

  it("reports UNKNOWN, not FAILED, while the controller does not answer, and the truth once it does", async () => {
    const executor = slurm();
    const job = await submit(executor, "sleep 1; exit 4");
    // A real unreachable controller: the same cluster's config, pointing at a port nothing listens on.
    const conf = join(mkdtempSync(join(tmpdir(), "labrun-badconf-")), "slurm.conf");
    writeFileSync(
      conf,
      `${readFileSync("/etc/slurm/slurm.conf", "utf8")}\nSlurmctldPort=9\nTCPTimeout=1\nMessageTimeout=1\n`,
    );
    const cut = new SlurmExecutor({
      partition: "debug",
      tunnel: new LocalTunnel({ env: { SLURM_CONF: conf } }),
    });
    const blind = await waitFor(cut, job, () => true, 60_000);
    expect(blind.state).toBe("PENDING");
    expect(blind.reason).toMatch(/^UNKNOWN: Slurm did not answer/);
    expect(await waitFor(executor, job, (s) => s.state === "FAILED")).toMatchObject({ exitCode: 4 });
    // Even after the job ended, the cut-off executor does not guess a failure from the exit code alone.
    expect((await cut.status([job]))[0]).toMatchObject({ state: "PENDING" });
  });

  it("marks a job Slurm has never heard of as LOST with the reason, not RUNNING", async () => {
    const jobDir = mkdtempSync(join(ws.root, "ghost-"));
    const [status] = await slurm().status([{ jobDir, handle: "987654321" }]);
    expect(status).toMatchObject({ state: "LOST" });
    expect(status!.reason).toContain("Slurm no longer knows job 987654321");
  });

  it("records Slurm's reason while a job waits in the queue, and cancels a job with its held dependents", async () => {
    await using exp = newExperiment(ws.root, "queued", slurm({ additionalParameters: { begin: "now+120" } }));
    const first = exp.add(new Script({ inline: "echo first" }), { name: "first" });
    exp.add(new Script({ inline: "echo second" }), { name: "second", dependencies: [first] });
    const running = exp.run();
    let reason: string | undefined;
    for (let i = 0; i < 100 && !reason?.includes("BeginTime"); i++) {
      await sleep(100);
      reason = exp.jobs[0]!.reason;
    }
    expect(reason).toBe("PENDING (BeginTime)");
    await exp.cancel("first");
    const result = await running;
    expect(result.jobs.map((job) => [job.name, job.state])).toEqual([
      ["first", "CANCELLED"],
      ["second", "CANCELLED"],
    ]);
    for (const job of exp.jobs) expect(scontrol(job.jobId!).JobState).toBe("CANCELLED");
  });

  it("retries a failed job with a new submission, keeping Slurm's output of each attempt", async () => {
    await using exp = newExperiment(ws.root, "retry");
    exp.add(new Script({ inline: 'echo "attempt $LABRUN_JOB_ATTEMPT"; [ "$LABRUN_JOB_ATTEMPT" -ge 2 ]' }), {
      name: "flaky",
      retries: 2,
      retryDelayMs: 100,
    });
    const result = await exp.run();
    expect(result.jobs[0]).toMatchObject({ state: "COMPLETED" });
    const job = exp.jobs[0]!;
    expect(job.attempt).toBe(2);
    expect(read(join(job.directory, "stdout.log"))).toBe("attempt 1\nattempt 2\n");
    const outputs = readdirSync(job.directory).filter((file) => /^slurm-\d+\.out$/.test(file));
    expect(outputs).toHaveLength(2);
    expect(outputs).toContain(`slurm-${job.jobId}.out`);
    expect(existsSync(join(job.directory, "sbatch.sh"))).toBe(true);
  });
});
