"""Typed tasks: construction with type checks, Meta fields, data-flow references in the plan, implied
dependencies and one job per identity."""

from typing import Dict, List, Optional

import pytest

import labrun as run
from labrun.tasks import Config, Meta, Param, Task, task


@task("t.prepare")
class Prepare(Task):
    n: Param[int]
    verbose: Meta[bool] = False

    def execute(self):
        return self.n


class Optimizer(Config):
    name: Param[str]
    momentum: Param[float] = 0.9
    workers: Meta[int] = 4


@task("t.train")
class Train(Task):
    lr: Param[float]
    data: Param[Prepare]
    optimizers: Param[List[Optimizer]] = []
    tags: Param[Dict[str, str]] = {}
    note: Param[Optional[str]] = None
    epochs: Param[int] = 10
    out: Meta[str] = "out"

    def execute(self):
        return {"lr": self.lr, "data": self.data}


def test_construction_checks_types_and_names_the_fields():
    with pytest.raises(run.TaskValidationError) as info:
        Train(lr="fast", data=Prepare(n=1), optimizers=[{"name": "sgd"}, {"name": 3}], colour="red")
    message = str(info.value)
    assert info.value.code == "TASK_VALIDATION"
    assert "lr: expected float, got str" in message
    assert "optimizers[1].name: expected str, got int" in message
    assert "colour: unknown parameter" in message
    with pytest.raises(run.TaskValidationError, match="n: required"):
        Prepare()
    with pytest.raises(run.TaskValidationError, match=r"data: expected a Prepare task"):
        Train(lr=0.1, data="some/path")
    with pytest.raises(run.TaskValidationError, match="n: expected int, got bool"):
        Prepare(n=True)


def test_parameters_are_fixed_and_defaults_are_not_shared():
    a = Train(lr=0.1, data=Prepare(n=1))
    b = Train(lr=0.1, data=Prepare(n=1))
    a.tags["x"] = "1"  # the value is the instance's own copy of the default
    assert b.tags == {}
    with pytest.raises(AttributeError):
        a.lr = 0.2


def test_plan_entry_carries_params_meta_paths_and_references():
    prep = Prepare(n=3)
    spec = Train(lr=0.1, data=prep / "data.txt", optimizers=[{"name": "adam"}]).to_spec()
    assert spec["kind"] == "python-task" and spec["taskId"] == "t.train" and spec["qualname"] == "Train"
    assert spec["module"] == "test_typed_tasks"
    assert spec["params"]["data"] == {"$task": "t.prepare", "$identity": prep.identity, "$path": "data.txt"}
    assert spec["params"]["optimizers"] == [{"name": "adam", "momentum": 0.9, "workers": 4}]
    assert sorted(spec["meta"]) == [["optimizers", "*", "workers"], ["out"]]
    # Meta values do not change the identity; params do, and so does the path inside the upstream job.
    base = Train(lr=0.1, data=prep, optimizers=[{"name": "adam"}])
    assert Train(lr=0.1, data=prep, optimizers=[{"name": "adam", "workers": 9}], out="x").identity == base.identity
    assert Train(lr=0.1, data=prep / "data.txt", optimizers=[{"name": "adam"}]).identity != base.identity
    assert Train(lr=0.2, data=prep, optimizers=[{"name": "adam"}]).identity != base.identity


def test_submit_adds_upstream_tasks_first_and_one_job_per_identity():
    with run.Experiment("flow") as exp:
        prep = Prepare(n=3).submit(exp)
        again = Prepare(n=3, verbose=True).submit()  # the experiment of the `with` block; same identity
        assert again.job_id == prep.job_id == "t.prepare"
        Train(lr=0.1, data=prep).submit(exp)
        Train(lr=0.2, data=Prepare(n=4)).submit(exp)  # not submitted before: added first, with a dependency
        names = [job.id for job in exp.jobs]
        assert names == ["t.prepare", "t.train", "t.prepare-1", "t.train-1"]
        assert exp.jobs[3].dependencies == ["t.prepare-1"]
        assert exp.jobs[1].dependencies == ["t.prepare"]
        exp._jobs.clear()  # nothing to launch here


def test_submit_without_an_experiment_says_what_to_do():
    with pytest.raises(run.InvalidTaskError, match="needs an experiment"):
        Prepare(n=1).submit()


def test_a_task_class_defined_inside_a_function_is_refused_when_added():
    @task("t.local")
    class Local(Task):
        n: Param[int]

    exp = run.Experiment("local")
    with pytest.raises(run.InvalidTaskError, match="defined inside another function"):
        exp.add(Local(n=1))
    assert exp.jobs == []
