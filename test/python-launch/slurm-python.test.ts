import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readJson, runCli, tempWorkspace } from "../helpers.js";
import { slurmEnabled } from "../slurm/helpers.js";

// Several real processes (Node, Python) per test: room for a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

let scratch: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  scratch = tempWorkspace("slurm-py");
});
afterEach(() => scratch.cleanup());

// Planned in Python, run by the engine on the real one-node cluster: Slurm holds the dependent
// (--dependency=afterok) and the Python job imports the client the engine ships.
const script = `
import os
import labrun as run

def prepare(n):
    path = os.path.join(os.environ["LABRUN_JOB_DIR"], "..", "data.txt")
    print(f"prepared {n} on {os.environ.get('SLURM_JOB_ID')}", flush=True)
    return {"n": n, "slurm": os.environ.get("SLURM_JOB_ID")}

def train(lr):
    run.Run.current().metrics("train").log(loss=lr / 2, step=1)
    print(f"trained lr={lr} on {os.environ.get('SLURM_JOB_ID')}", flush=True)
    return {"lr": lr}

if __name__ == "__main__":
    slurm = run.SlurmExecutor(partition="debug", time="5", tunnel=run.LocalTunnel())
    with run.Experiment("py-slurm", executor=slurm) as exp:
        prep = exp.add(run.Partial(prepare, n=3), name="prepare")
        exp.add(run.Partial(train, lr=0.2), name="train", dependencies=[prep])
        exp.run()
`;

describe.skipIf(!slurmEnabled)("a Python-planned experiment on the local Slurm cluster", () => {
  it("runs two dependent Python jobs as Slurm jobs, the second held by Slurm until the first completed", () => {
    writeFileSync(join(scratch.root, "slurm_sweep.py"), script);
    const ws = join(scratch.root, "ws");
    const result = runCli(["run", "slurm_sweep.py"], { workspace: ws, cwd: scratch.root });
    expect(result.stderr).toContain("COMPLETED: 2/2 job(s) completed");
    expect(result.code).toBe(0);
    const id = /Experiment (py-slurm_\S+) COMPLETED/.exec(result.stderr)![1]!;
    const status = JSON.parse(runCli(["experiment", "status", id, "--json"], { workspace: ws }).stdout) as {
      jobs: { name: string; state: string; executor: string; jobId: string; directory: string }[];
    };
    expect(status.jobs.map((job) => [job.name, job.state, job.executor])).toEqual([
      ["prepare", "COMPLETED", "slurm"],
      ["train", "COMPLETED", "slurm"],
    ]);
    const [prepare, train] = status.jobs as [(typeof status.jobs)[0], (typeof status.jobs)[0]];
    const slurmIds = status.jobs.map((job) => /(\d+)/.exec(job.jobId)![1]!);
    // The job ran under Slurm (its own SLURM_JOB_ID) and Slurm held the second on the first.
    expect(readJson(join(prepare.directory, "result.json"))).toEqual({ n: 3, slurm: slurmIds[0] });
    const record = (dir: string) =>
      readJson<{ submittedAt: string; startedAt: string; endedAt: string }>(join(dir, "job.json"));
    // Submitted to Slurm before the first had ended (Slurm held it), started only after.
    expect(Date.parse(record(train.directory).submittedAt)).toBeLessThan(
      Date.parse(record(prepare.directory).endedAt),
    );
    expect(Date.parse(record(train.directory).startedAt)).toBeGreaterThanOrEqual(
      Date.parse(record(prepare.directory).endedAt) - 1000,
    );
    expect(readFileSync(join(train.directory, "run", "metrics", "train", "data.jsonl"), "utf8")).toContain(
      '"loss":0.1',
    );
  });
});
