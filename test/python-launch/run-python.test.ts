import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readJson, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";

// Several real processes (Node, Python) per test: room for a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

let scratch: ReturnType<typeof tempWorkspace>;
let ws: string;
beforeEach(() => {
  scratch = tempWorkspace("run-py");
  ws = join(scratch.root, "ws");
});
afterEach(() => scratch.cleanup());

const labrun = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { workspace: ws, cwd: scratch.root, env });
const write = (name: string, text: string) => {
  const file = join(scratch.root, name);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, text);
  return file;
};
const experimentsOf = (title: string) =>
  existsSync(join(ws, "experiments", title)) ? readdirSync(join(ws, "experiments", title)) : [];

// NeMo-Run's style, as a user writes it: run with `labrun run sweep.py` (no install: the engine gives the client).
const sweepPy = `
import sys
import labrun as run

def train(lr: float, epochs: int = 2) -> dict:
    print(f"train lr={lr}", flush=True)
    if lr > 1:
        raise ValueError("lr too large")
    run.Run.current().metrics("train").log(loss=1 / (1 + lr), step=1)
    return {"lr": lr}

if __name__ == "__main__":
    lrs = [float(a) for a in sys.argv[1:]] or [0.1]
    with run.Experiment("sweep") as exp:
        prep = exp.add(run.Script(inline="echo prepare; labrun --version"), name="prep")
        exp.add([run.Partial(train, lr=lr) for lr in lrs], name="train", dependencies=[prep])
        exp.run()
`;

describe("labrun run x.py", () => {
  it("runs the file with the client on PYTHONPATH and the engine that launched it; exit 0 when all jobs completed", () => {
    write("sweep.py", sweepPy);
    const result = labrun(["run", "sweep.py", "--", "0.1", "0.2"]);
    expect(result.stderr).toContain("COMPLETED: 3/3 job(s) completed");
    expect(result.code).toBe(0);
    const [id] = experimentsOf("sweep");
    const status = JSON.parse(labrun(["experiment", "status", id!, "--json"]).stdout) as {
      jobs: { name: string; state: string; directory: string }[];
    };
    expect(status.jobs.map((j) => [j.name, j.state])).toEqual([
      ["prep", "COMPLETED"],
      ["train-0", "COMPLETED"],
      ["train-1", "COMPLETED"],
    ]);
    // Run.current() in the launched Python job wrote to the job's tracked run.
    const points = readFileSync(
      join(status.jobs[1]!.directory, "run", "metrics", "train", "data.jsonl"),
      "utf8",
    );
    expect(points).toContain('"loss"');
    expect(readJson(join(status.jobs[2]!.directory, "result.json"))).toEqual({ lr: 0.2 });
    expect(readFileSync(join(status.jobs[0]!.directory, "stdout.log"), "utf8")).toMatch(
      /prepare\n\d+\.\d+\.\d+\n/,
    );
  });

  it("exits 1 when a job failed, though the script itself exits 0", () => {
    write("sweep.py", sweepPy);
    const result = labrun(["run", "sweep.py", "--", "0.1", "5"]);
    expect(result.stderr).toContain("train-1 failed");
    expect(result.code).toBe(1);
  });

  it("passes the script's own exit code and traceback through; nothing launched", () => {
    write("boom.py", "import labrun as run\nraise RuntimeError('broken before planning')\n");
    const boom = labrun(["run", "boom.py"]);
    expect(boom.code).toBe(1);
    expect(boom.stderr).toMatch(/Traceback[\s\S]*RuntimeError: broken before planning/);
    expect(existsSync(join(ws, "experiments"))).toBe(false);
    write("three.py", "import sys\nsys.exit(3)\n");
    expect(labrun(["run", "three.py"]).code).toBe(3);
  });

  it("hands a SIGTERM to the script, whose exit code it returns", async () => {
    write(
      "term.py",
      "import signal, sys, time\n" +
        "signal.signal(signal.SIGTERM, lambda *a: (print('got TERM', flush=True), sys.exit(7)))\n" +
        "print('ready', flush=True)\ntime.sleep(60)\n",
    );
    const run = startCli(["run", "term.py"], { workspace: ws, cwd: scratch.root });
    await waitFor("the script to start", () => run.output().stdout.includes("ready"), 60_000);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(7);
    expect(run.output().stdout).toContain("got TERM");
  });

  it("says which interpreter is missing (LABRUN_PYTHON)", () => {
    write("sweep.py", sweepPy);
    const result = labrun(["run", "sweep.py"], { LABRUN_PYTHON: "/nonexistent/python9" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error \[EXPERIMENT_FILE\] Python interpreter "\/nonexistent\/python9" was not found/,
    );
  });
});

const experimentPy = `
from dataclasses import field
from typing import List
from labrun.experiments import ConfigurationBase, ExperimentHelper, configuration
from labrun.tasks import Meta, Param, Task, task

@task("yaml.train")
class Train(Task):
    lr: Param[float]
    epochs: Param[int] = 2
    verbose: Meta[bool] = False

    def execute(self) -> None:
        print(f"lr={self.lr} epochs={self.epochs}", flush=True)

@configuration
class Configuration(ConfigurationBase):
    learning_rates: List[float] = field(default_factory=lambda: [0.1])
    epochs: int = 2

def run(helper: ExperimentHelper, cfg: Configuration) -> None:
    if cfg.epochs < 0:
        raise ValueError("negative epochs")
    for lr in cfg.learning_rates:
        Train(lr=lr, epochs=cfg.epochs).submit(helper.experiment)
`;

describe("labrun run-experiment with experiment.py", () => {
  beforeEach(() => {
    write("exp/experiment.py", experimentPy);
    write("exp/full.yaml", "id: py-yaml\nfile: experiment\ndirty_git: ignore\nlearning_rates: [0.1, 0.01]\n");
  });

  it("DRY_RUN lists, GENERATE writes run.sh, NORMAL runs; -c overrides; a second NORMAL reuses the jobs", () => {
    const dry = labrun(["run-experiment", "--run-mode", "DRY_RUN", "exp/full.yaml", "-c", "epochs=3"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/DRY_RUN py-yaml: 2 job\(s\), 0 would be reused, 2 would run/);

    const generated = labrun(["run-experiment", "--run-mode", "GENERATE", "exp/full.yaml", "--json"]);
    expect(generated.code).toBe(0);
    const scripts = (JSON.parse(generated.stdout) as { jobs: { script: string }[] }).jobs.map(
      (j) => j.script,
    );
    expect(scripts).toHaveLength(2);
    expect(readFileSync(scripts[0]!, "utf8")).toContain("from labrun._job_runner import main");

    const normal = labrun([
      "run-experiment",
      "exp/full.yaml",
      "-c",
      "learning_rates=[0.5]",
      "-c",
      "epochs=4",
    ]);
    expect(normal.stderr).toContain("COMPLETED: 1/1 job(s) completed");
    expect(normal.code).toBe(0);
    const [id] = experimentsOf("py-yaml");
    expect(labrun(["experiment", "logs", id!, "0"]).stdout).toContain("lr=0.5 epochs=4");
    const informations = readJson<{ configuration: { learning_rates: number[] } }>(
      join(ws, "experiments", "py-yaml", id!, "informations.json"),
    );
    expect(informations.configuration.learning_rates).toEqual([0.5]);

    const again = labrun([
      "run-experiment",
      "--run-mode",
      "DRY_RUN",
      "exp/full.yaml",
      "-c",
      "learning_rates=[0.5]",
      "-c",
      "epochs=4",
    ]);
    expect(again.stdout).toMatch(/1 would be reused, 0 would run/);
  });

  it("--show prints the merged configuration", () => {
    const show = labrun(["run-experiment", "--show", "exp/full.yaml", "-c", "epochs=7"]);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: "py-yaml", epochs: 7, learning_rates: [0.1, 0.01] });
  });

  it("a wrong type, an exception in run(), a missing file: typed errors or the traceback, exit 1, nothing launched", () => {
    const wrong = labrun(["run-experiment", "exp/full.yaml", "-c", "epochs=many"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/error \[CONFIG_VALUE\] .*epochs/);
    const raised = labrun(["run-experiment", "exp/full.yaml", "-c", "epochs=-1"]);
    expect(raised.code).toBe(1);
    expect(raised.stderr).toMatch(/Traceback[\s\S]*ValueError: negative epochs/);
    expect(raised.stderr).toMatch(/error \[EXPERIMENT_FILE\] .*experiment\.py failed while planning/);
    const missing = labrun(["run-experiment", "exp/full.yaml", "-c", "file=nothere"]);
    expect(missing.stderr).toMatch(/looked for .*nothere\.ts, .*nothere\.js, .*nothere\.mjs, .*nothere\.py/);
    expect(experimentsOf("py-yaml")).toEqual([]);
  });
});
