import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Experiment, Script } from "../../src/index.js";
import type { JobStatus } from "../../src/index.js";
import { repoRoot, tempWorkspace } from "../helpers.js";
import { DriverLock } from "../../src/experiment/driver-lock.js";
import { newExperiment, read, scontrol, slurm, slurmEnabled } from "./helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("slurm");
});
afterEach(() => ws.cleanup());

const byName = (jobs: readonly JobStatus[]) => Object.fromEntries(jobs.map((job) => [job.name, job]));

describe.skipIf(!slurmEnabled)("SlurmExecutor in an experiment", () => {
  it("holds dependents in Slurm with --dependency=afterok, submitted before their dependency ends", async () => {
    await using exp = newExperiment(ws.root, "deps");
    const prep = exp.add(new Script({ inline: "sleep 2; echo prepared" }), { name: "prep" });
    exp.add(new Script({ inline: "echo trained" }), { name: "train", dependencies: [prep] });
    const running = exp.run();
    // While prep still runs, train is already in Slurm's queue, held on prep's job id.
    let held: Record<string, string> | undefined;
    for (let i = 0; i < 100 && !held; i++) {
      const jobs = byName(exp.jobs);
      if (jobs.train?.jobId && jobs.prep?.state !== "COMPLETED") held = scontrol(jobs.train.jobId);
      else await sleep(50);
    }
    expect(held?.Dependency).toBe(`afterok:${byName(exp.jobs).prep!.jobId}(unfulfilled)`);
    expect(held?.JobState).toBe("PENDING");
    const result = await running;
    expect(result.jobs.map((job) => [job.name, job.state])).toEqual([
      ["prep", "COMPLETED"],
      ["train", "COMPLETED"],
    ]);
    const jobs = byName(exp.jobs);
    expect(Date.parse(jobs.train!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(jobs.prep!.endedAt!) - 1000);
    expect(read(join(jobs.train!.directory, "stdout.log"))).toBe("trained\n");
  });

  it("cancels the dependents of a failed job in labrun and removes them from Slurm's queue", async () => {
    await using exp = newExperiment(ws.root, "fail");
    const prep = exp.add(new Script({ inline: "sleep 1; exit 3" }), { name: "prep" });
    const train = exp.add(new Script({ inline: "echo never" }), { name: "train", dependencies: [prep] });
    exp.add(new Script({ inline: "echo never" }), { name: "eval", dependencies: [train] });
    const result = await exp.run();
    const jobs = byName(result.jobs as unknown as JobStatus[]);
    expect(jobs.prep).toMatchObject({ state: "FAILED", exitCode: 3 });
    expect(jobs.train).toMatchObject({ state: "CANCELLED", reason: 'dependency "prep" failed' });
    expect(jobs.eval).toMatchObject({ state: "CANCELLED", reason: 'dependency "train" cancelled' });
    const status = byName(exp.jobs);
    for (const name of ["train", "eval"]) {
      // They were in Slurm's queue (held), and labrun took them out: not left PENDING forever.
      expect(status[name]!.jobId).toMatch(/^\d+$/);
      expect(scontrol(status[name]!.jobId!).JobState).toBe("CANCELLED");
      expect(existsSync(join(status[name]!.directory, "stdout.log"))).toBe(false);
    }
  });

  it("records dependents Slurm dropped itself (failed afterok) as cancelled by their dependency, after a driver crash", async () => {
    const exp = newExperiment(ws.root, "dropped");
    const prep = exp.add(new Script({ inline: "sleep 3; exit 3" }), { name: "prep" });
    const train = exp.add(new Script({ inline: "echo never" }), { name: "train", dependencies: [prep] });
    exp.add(new Script({ inline: "echo never" }), { name: "eval", dependencies: [train] });
    const launched = await exp.run({ detach: true });
    const submitted = async () => {
      const seen = await Experiment.fromId(launched.id, { baseDir: ws.root, cleanMode: true });
      return seen.jobs.every((job) => job.jobId) ? seen.jobs : undefined;
    };
    let jobs = await submitted();
    for (let i = 0; i < 100 && !jobs; i++) {
      await sleep(20);
      jobs = await submitted();
    }
    // The supervisor dies before it sees prep fail: Slurm (--kill-on-invalid-dep) drops train and eval alone.
    const supervisor = new DriverLock(launched.dir).holder();
    expect(supervisor?.pid).toBeGreaterThan(0);
    process.kill(supervisor!.pid, "SIGKILL");
    expect(jobs?.find((job) => job.name === "prep")?.state).not.toBe("FAILED");
    const ids = Object.fromEntries(jobs!.map((job) => [job.name, job.jobId!]));
    for (let i = 0; i < 100 && scontrol(ids.eval!).JobState !== "CANCELLED"; i++) await sleep(100);
    expect(scontrol(ids.train!)).toMatchObject({ JobState: "CANCELLED", Reason: "DependencyNeverSatisfied" });
    expect(scontrol(ids.eval!).JobState).toBe("CANCELLED");
    // The next look from outside sees prep FAILED and both dependents gone in one answer from Slurm.
    const reopened = await Experiment.fromId(launched.id, { baseDir: ws.root, cleanMode: true });
    const after = await reopened.status({ returnDict: true });
    expect(after.prep).toMatchObject({ state: "FAILED", exitCode: 3 });
    expect(after.train).toMatchObject({ state: "CANCELLED", reason: 'dependency "prep" failed' });
    expect(after.eval).toMatchObject({ state: "CANCELLED", reason: 'dependency "train" cancelled' });
  });

  it("submits a sweep as one job array, each element with its own parameters, directory and run; % throttle", async () => {
    await using exp = newExperiment(ws.root, "sweep", slurm({ array: { throttle: 2 } }));
    for (const lr of ["0.1", "0.01", "0.001", "0.0001"])
      exp.add(
        new Script({
          inline: 'sleep 0.5; echo "lr=$LR element=$SLURM_ARRAY_TASK_ID"',
          env: { LR: lr },
        }),
        { name: `train-${lr}` },
      );
    const result = await exp.run();
    expect(result.ok).toBe(true);
    const jobs = exp.jobs;
    const arrayId = jobs[0]!.jobId!.split("_")[0];
    expect(jobs.map((job) => job.jobId)).toEqual([0, 1, 2, 3].map((i) => `${arrayId}_${i}`));
    jobs.forEach((job, i) => {
      expect(read(join(job.directory, "stdout.log"))).toBe(
        `lr=${["0.1", "0.01", "0.001", "0.0001"][i]} element=${i}\n`,
      );
    });
    const script = read(join(jobs[0]!.directory, "slurm-array", "sbatch.sh"));
    expect(script).toContain("#SBATCH --array=0-3%2");
    // The throttle held: never more than two elements ran at once.
    const spans = jobs.map((job) => [Date.parse(job.startedAt!), Date.parse(job.endedAt!)] as const);
    for (const [start] of spans)
      expect(spans.filter(([s, e]) => s <= start && start < e).length).toBeLessThanOrEqual(2);
    // Each element has its own tracked run.
    for (const job of jobs) expect(existsSync(join(job.directory, "run"))).toBe(true);
  });

  it("cancels one array element alone, and answers a status table asked job by job with one squeue", async () => {
    await using exp = newExperiment(ws.root, "elements");
    for (const name of ["a", "b", "c"]) exp.add(new Script({ inline: "sleep 300" }), { name });
    const running = exp.run();
    for (let i = 0; i < 100 && !exp.jobs.every((job) => job.state === "RUNNING"); i++) await sleep(100);
    const [a, b] = exp.jobs;
    expect(a!.jobId).toMatch(/^\d+_0$/);
    await exp.cancel("a");
    expect(scontrol(a!.jobId!).JobState).toBe("CANCELLED");
    expect(scontrol(b!.jobId!).JobState).toBe("RUNNING");
    // A fresh executor asked about each job separately, all at once (as a status table does): one squeue.
    const executor = slurm();
    const statuses = await Promise.all(
      exp.jobs.map((job) => executor.status([{ jobDir: job.directory, handle: job.jobId }])),
    );
    expect(statuses.map(([status]) => status!.state)).toEqual(["FAILED", "RUNNING", "RUNNING"]);
    expect(executor.statusCommands).toBe(1);
    await exp.cancelAll();
    const result = await running;
    expect(result.jobs.map((job) => job.state)).toEqual(["CANCELLED", "CANCELLED", "CANCELLED"]);
  });

  it("binds Run.current() inside the job to the job's run (Python client)", async () => {
    await using exp = newExperiment(ws.root, "tracked");
    const python = [
      "import sys",
      `sys.path.insert(0, ${JSON.stringify(join(repoRoot, "clients", "python"))})`,
      "from labrun import Run",
      "run = Run.current()",
      'run.metrics("train").log(loss=0.25, step=7)',
    ].join("; ");
    exp.add(new Script({ inline: `python3 -c '${python}'` }), { name: "probe" });
    const result = await exp.run();
    expect(result.ok).toBe(true);
    const status = await exp.status({ returnDict: true });
    expect(status.probe!.metrics).toMatchObject({ "train.loss": 0.25, "train.step": 7 });
  });

  it("starts one copy of the command per task with srun when the job has several tasks", async () => {
    await using exp = newExperiment(ws.root, "tasks", slurm({ ntasksPerNode: 2 }));
    exp.add(new Script({ inline: 'echo "task $SLURM_PROCID of $SLURM_NTASKS"' }), { name: "multi" });
    const result = await exp.run();
    expect(result.ok).toBe(true);
    const lines = read(join(exp.jobs[0]!.directory, "stdout.log")).trim().split("\n").sort();
    expect(lines).toEqual(["task 0 of 2", "task 1 of 2"]);
  });

  it("reopens a detached experiment from disk (Experiment.fromId) and cancels its Slurm jobs", async () => {
    const exp = newExperiment(ws.root, "detached");
    exp.add(new Script({ inline: "echo started; sleep 300" }), { name: "long" });
    const launched = await exp.run({ detach: true });
    const reopened = await Experiment.fromId(launched.id, { baseDir: ws.root, cleanMode: true });
    let job = reopened.jobs[0]!;
    for (let i = 0; i < 100 && job.state !== "RUNNING"; i++) {
      await sleep(100);
      job = (await reopened.status({ returnDict: true })).long!;
    }
    expect(job).toMatchObject({ state: "RUNNING", executor: "slurm" });
    expect(scontrol(job.jobId!).JobState).toBe("RUNNING");
    await reopened.cancel("long");
    expect(scontrol(job.jobId!).JobState).toBe("CANCELLED");
    const after = await Experiment.fromId(launched.id, { baseDir: ws.root, cleanMode: true });
    expect(after.jobs[0]).toMatchObject({ state: "CANCELLED" });
  });
});
