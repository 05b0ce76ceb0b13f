"""The job side: `python -c "...labrun._job_runner..." <call.json>` as the engine starts it, with a real process."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import child_env, read_json

# What the engine runs (src/config/python/python-common.ts, jobRunnerCode).
RUNNER_CODE = "import sys; from labrun._job_runner import main; sys.exit(main())"


def start(job_dir, call, extra_env=None):
    job_dir.mkdir(parents=True, exist_ok=True)
    call_file = job_dir / "call.json"
    call_file.write_text(json.dumps({"labrunCall": 1, **call}))
    env = {"LABRUN_JOB_DIR": str(job_dir), "LABRUN_RUN_DIR": str(job_dir / "run"), "LABRUN_RUN_PREFIX": "me/xp/job"}
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-c", RUNNER_CODE, str(call_file)],
        env=child_env(env),
        cwd=str(job_dir.parent),
        capture_output=True,
        text=True,
        timeout=60,
    )


SCRIPT = """
import labrun as run
from labrun import Run
from labrun.tasks import Meta, Param, Task, task

def train(lr, epochs=2):
    r = Run.current()
    for epoch in range(epochs):
        r.metrics("train").log(loss=lr / (epoch + 1), step=epoch)
    return {"best": lr / epochs}

def broken():
    raise ValueError("bad input file")

@task("demo.prepare")
class Prepare(Task):
    n: Param[int]

@task("demo.train")
class Train(Task):
    lr: Param[float]
    data: Param[Prepare]
    verbose: Meta[bool] = False
    def execute(self):
        return {"lr": self.lr, "data": self.data, "dir": self.job_dir}

# Top-level code of the planning script: re-reading it in a job must not plan or launch again.
with run.Experiment("sweep") as exp:
    exp.add(run.Partial(train, lr=0.5))
    exp.run()
    print("PLANNED AGAIN" if exp.id else "", end="")
"""


def test_partial_of_a_script_function_runs_and_tracks(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(textwrap.dedent(SCRIPT))
    job = tmp_path / "jobs" / "sweep.train" / "abc"
    done = start(
        job,
        {
            "kind": "partial",
            "module": None,
            "file": str(script),
            "function": "train",
            "args": [0.5],
            "kwargs": {"epochs": 2},
        },
    )
    assert done.returncode == 0, done.stderr
    assert "PLANNED AGAIN" not in done.stdout
    assert read_json(job / "result.json") == {"best": 0.25}
    lines = (job / "run" / "metrics" / "train" / "data.jsonl").read_text().splitlines()
    assert [json.loads(line)["data"]["loss"] for line in lines] == [0.5, 0.25]
    assert read_json(job / "run" / "experiment.json")["status"] == "COMPLETED"


def test_an_exception_prints_its_traceback_and_exits_1(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(textwrap.dedent(SCRIPT))
    job = tmp_path / "jobs" / "sweep.broken" / "abc"
    done = start(job, {"kind": "partial", "file": str(script), "function": "broken"})
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ValueError: bad input file" in done.stderr
    assert not (job / "result.json").exists()


def test_typed_task_gets_upstream_paths_as_parameters(tmp_path):
    (tmp_path / "steps.py").write_text(textwrap.dedent(SCRIPT))
    job = tmp_path / "jobs" / "demo.train" / "abc"
    upstream = str(tmp_path / "jobs" / "demo.prepare" / "def" / "data.txt")
    done = start(
        job,
        {
            "kind": "task",
            "module": "steps",
            "qualname": "Train",
            "taskId": "demo.train",
            "params": {"lr": 0.1, "data": upstream, "verbose": True},
        },
        {"PYTHONPATH": str(tmp_path) + os.pathsep + child_env()["PYTHONPATH"]},
    )
    assert done.returncode == 0, done.stderr
    assert read_json(job / "result.json") == {"lr": 0.1, "data": upstream, "dir": str(job)}


def test_a_function_gone_since_planning_is_reported(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(textwrap.dedent(SCRIPT))
    done = start(tmp_path / "jobs" / "x" / "y", {"kind": "partial", "file": str(script), "function": "renamed"})
    assert done.returncode == 1 and "has no 'renamed'" in done.stderr
