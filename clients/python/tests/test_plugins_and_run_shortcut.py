"""NeMo-Run's ``Plugin.setup`` on typed tasks (the parameters it changes make the identity) and its
``run.run(task, ...)`` shortcut beside ``labrun.run`` the tracking module, with the real engine."""

import json

import pytest

import labrun as run
from labrun.errors import TaskValidationError
from labrun.tasks import Meta, Param, Task, identity_of, task

from conftest import run_script
from test_launch_engine import cli_json


@task("plug.train")
class Train(Task):
    lr: Param[float]
    epochs: Param[int] = 2
    verbose: Meta[bool] = False


class Faster(run.Plugin):
    def setup(self, task, executor):
        if isinstance(task, Train):
            task.lr = task.lr * 10
            task.verbose = True
        executor.env["FAST"] = "1"


def test_a_plugin_changes_a_typed_tasks_parameters_and_its_identity_follows():
    original = Train(lr=0.01)
    exp = run.Experiment("plug")
    exp.add(original, name="train", plugins=[Faster()])
    [job] = exp.jobs
    changed = job.tasks[0]
    assert (changed.lr, changed.verbose) == (0.1, True)
    assert (original.lr, original.verbose) == (0.01, False)  # the plugin got a copy
    assert changed.identity == identity_of("plug.train", {"lr": 0.1, "epochs": 2}) != original.identity
    assert job.identities == [changed.identity]
    spec = exp.to_config()["jobs"][0]["task"]
    assert spec["params"] == {"lr": 0.1, "epochs": 2, "verbose": True} and spec["identity"] == changed.identity
    assert exp.to_config()["jobs"][0]["executor"]["env"] == {"FAST": "1"}
    with pytest.raises(AttributeError, match="fixed once built"):
        changed.lr = 1.0  # frozen once added
    with pytest.raises(AttributeError, match="fixed once built"):
        original.lr = 1.0


def test_a_plugin_setting_a_wrong_type_is_a_validation_error():
    class Wrong(run.Plugin):
        def setup(self, task, executor):
            task.epochs = "many"

    with pytest.raises(TaskValidationError, match="epochs"):
        run.Experiment("plug").add(Train(lr=0.1), plugins=[Wrong()])


def test_a_plugin_may_return_another_task():
    class Swap(run.Plugin):
        def setup(self, task, executor):
            return Train(lr=0.5, epochs=1), executor

    exp = run.Experiment("plug")
    exp.add(Train(lr=0.1), name="t", plugins=[Swap()])
    assert exp.jobs[0].identities == [identity_of("plug.train", {"lr": 0.5, "epochs": 1})]


PLUGGED = """
import labrun as run
from labrun.tasks import Meta, Param, Task, task

@task("plug.scale")
class Scale(Task):
    x: Param[int]
    factor: Param[int] = 1
    def execute(self):
        return self.x * self.factor

class Triple(run.Plugin):
    def setup(self, task, executor):
        task.factor = 3

if __name__ == "__main__":
    with run.Experiment("plugged") as exp:
        exp.add(Scale(x=5), name="scaled", plugins=[Triple()])
        exp.add(Scale(x=5), name="plain")
        exp.run()
    status = exp.status(return_dict=True)
    print("STATES", status["scaled"]["state"], status["plain"]["state"])
    print("DIRS", status["scaled"]["local_dir"], status["plain"]["local_dir"])
"""


def test_the_engine_runs_the_changed_parameters_under_their_identity(engine):
    code, out, err = run_script(engine["project"], "plugged.py", PLUGGED)
    assert code == 0, err
    assert "STATES COMPLETED COMPLETED" in out
    scaled_dir, plain_dir = out.split("DIRS ")[1].split()
    with open(f"{scaled_dir}/result.json") as f:
        assert json.load(f) == 15  # the job got factor=3
    with open(f"{plain_dir}/result.json") as f:
        assert json.load(f) == 5
    # the engine computed the same identity as the client for the changed parameters (else INVALID_TASK)
    assert scaled_dir.rstrip("/").split("/")[-1] == identity_of("plug.scale", {"x": 5, "factor": 3})


SHORTCUT = """
import sys
import labrun as run
from labrun.run import Run  # the tracking module is still there

def double(x):
    print("double", x, flush=True)
    return x * 2

if __name__ == "__main__":
    assert run.run.Run is Run and run.Run is Run
    direct = run.run(run.Partial(double, x=21))
    print("DIRECT", direct["state"], direct["jobs"][0]["name"])
    local = run.run(run.Partial(double, x=2), executor=run.LocalExecutor(), name="twice")
    print("LOCAL", local["state"], local["id"].startswith("twice_"))
    listed = run.run(run.Partial(double, x=3), executor=run.LocalExecutor(), dryrun=True)
    print("DRY", [job["name"] for job in listed])
    try:
        run.run(lambda: 1)
    except run.InvalidTaskError as error:
        print("REFUSED", type(error).__name__)
"""


def test_run_run_launches_one_task_and_labrun_run_stays_the_tracking_module(engine):
    code, out, err = run_script(engine["project"], "shortcut.py", SHORTCUT)
    assert code == 0, err
    assert "DIRECT COMPLETED shortcut.double" in out
    assert "double 21" in out  # direct: in the foreground
    assert "LOCAL COMPLETED True" in out
    assert "DRY ['shortcut.double']" in out
    assert "REFUSED InvalidTaskError" in out
    titles = sorted(e["title"] for e in cli_json(engine, "experiment", "list"))
    assert titles == ["shortcut.double", "twice"]  # the dry run launched nothing
