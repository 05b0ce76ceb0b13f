"""experimaestro's side: the experiment.py planner that `labrun run-experiment` runs (a real process, the
request as the engine writes it), @configuration validation with key paths, mock_modules, and experiment()
with dirty_git."""

import json
import subprocess
import sys
import textwrap

import pytest

from labrun.experiments import ConfigurationBase, DirtyGitAction, DirtyGitError, configuration, experiment, mock_modules

from conftest import child_env

EXPERIMENT = """
from dataclasses import dataclass, field
from typing import List, Optional
import torch
from torch import nn
from labrun.experiments import ConfigurationBase, ExperimentHelper, configuration
from labrun.tasks import Meta, Param, Task, task

class Net(nn.Module[int]):          # inherits from a mocked class, with a generic subscript
    def forward(self, x): return x

@torch.compile
def step(x):
    return x

@dataclass
class Model:
    hidden_size: int = 64
    dropout: Optional[float] = None

@task("my.train")
class Train(Task):
    lr: Param[float]
    epochs: Param[int] = 10
    verbose: Meta[bool] = False
    def execute(self) -> None:
        print("training", self.lr)

@configuration
class Configuration(ConfigurationBase):
    learning_rates: List[float] = field(default_factory=lambda: [1e-3])
    model: Model = field(default_factory=Model)

def run(helper: ExperimentHelper, cfg: Configuration) -> None:
    print("planning", helper.run_mode)          # must not end up in the plan on stdout
    assert step(3) == 3 and cfg.model.hidden_size == 128
    for lr in cfg.learning_rates:
        Train(lr=lr).submit(helper.experiment)
    helper.experiment.run(tail_logs=True)
"""

PRE = """
import os
os.environ["PRE_RAN"] = "1"
from labrun.experiments import mock_modules
mock_modules(["torch"], decorators=["torch.compile"])
"""


def plan(tmp_path, configuration, experiment=EXPERIMENT, **request):
    (tmp_path / "experiment.py").write_text(textwrap.dedent(experiment))
    (tmp_path / "pre.py").write_text(textwrap.dedent(PRE))
    body = {
        "labrunPlanRequest": 1,
        "experimentFile": str(tmp_path / "experiment.py"),
        "module": None,
        "configuration": {"id": "my-exp", "file": "experiment", **configuration},
        "runMode": "DRY_RUN",
        "workdir": str(tmp_path / "ws"),
        "title": "my-exp",
        "pythonpath": [],
        "mockModules": [],
        "preExperiment": str(tmp_path / "pre.py"),
        "cwd": str(tmp_path),
        "yamlFiles": [str(tmp_path / "experiment.yaml")],
        **request,
    }
    (tmp_path / "request.json").write_text(json.dumps(body))
    return subprocess.run(
        [sys.executable, "-m", "labrun.experiments._plan", str(tmp_path / "request.json")],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_planner_prints_one_plan_from_the_validated_configuration(tmp_path):
    done = plan(tmp_path, {"learning_rates": [0.1, 1], "model": {"hidden_size": 128}})
    assert done.returncode == 0, done.stderr
    assert "planning DRY_RUN" in done.stderr
    result = json.loads(done.stdout)
    assert result["labrunPlan"] == 1 and result["title"] == "my-exp" and result["mode"] == "DRY_RUN"
    assert result["workspace"] == str(tmp_path / "ws")
    assert result["run"]["tailLogs"] is True
    tasks = [job["task"] for job in result["jobs"]]
    assert [t["params"]["lr"] for t in tasks] == [0.1, 1.0]
    assert tasks[0]["kind"] == "python-task" and tasks[0]["taskId"] == "my.train" and tasks[0]["meta"] == [["verbose"]]
    assert tasks[0]["module"] == "experiment" and tasks[0]["pythonpath"] == [str(tmp_path)]


@pytest.mark.parametrize(
    "configuration, code, message",
    [
        (
            {"learning_rates": [0.1, "x"], "model": {"hidden_size": 128}},
            "CONFIG_VALUE",
            "learning_rates[1]: expected float, got str",
        ),
        (
            {"model": {"hidden_sise": 128}},
            "CONFIG_UNKNOWN_KEY",
            "model.hidden_sise: unknown configuration key; did you mean 'hidden_size'?",
        ),
        (
            {"learning_rate": 0.1},
            "CONFIG_UNKNOWN_KEY",
            "learning_rate: unknown configuration key; did you mean 'learning_rates'?",
        ),
        (
            {"model": {"hidden_size": 128, "dropout": "high"}},
            "CONFIG_VALUE",
            "model.dropout: expected float or None, got str",
        ),
    ],
)
def test_configuration_errors_name_the_key_path(tmp_path, configuration, code, message):
    done = plan(tmp_path, configuration)
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stdout)["labrunError"]
    assert error["code"] == code
    assert error["message"].startswith(message)


@pytest.mark.parametrize("where", ["file", "run"])
def test_an_exception_in_the_experiment_gives_its_traceback_and_exit_1(tmp_path, where):
    broken = EXPERIMENT + ("\nraise RuntimeError('broken at import')\n" if where == "file" else "")
    if where == "run":
        broken = broken.replace('print("planning", helper.run_mode)', 'raise RuntimeError("broken in run")')
    done = plan(tmp_path, {"model": {"hidden_size": 128}}, experiment=broken)
    assert done.returncode == 1
    assert done.stdout == ""
    assert (
        "Traceback" in done.stderr
        and f"RuntimeError: broken {'at import' if where == 'file' else 'in run'}" in done.stderr
    )


def test_mock_modules_from_the_request_without_pre_experiment(tmp_path):
    done = plan(tmp_path, {"model": {"hidden_size": 128}}, preExperiment=None, mockModules=["torch"])
    # torch.compile is not declared a decorator here: it is a fake class, and calling step() returns a fake.
    assert done.returncode == 1 and "AssertionError" in done.stderr


def test_mock_modules_fakes_behave():
    mock_modules(["fakeheavy"], decorators=["fakeheavy.jit.script", "fakeheavy.no_grad"])
    import fakeheavy
    import fakeheavy.nn.functional as F

    class Layer(fakeheavy.nn.Module):
        def __init__(self):
            super().__init__()
            self.size = 3

    assert Layer().size == 3
    assert fakeheavy.Tensor[int, str] is fakeheavy.Tensor
    fakeheavy.randn(3, 4).mean().item()
    F.relu(1)

    @fakeheavy.jit.script
    def f(x):
        return x + 1

    assert f(1) == 2
    with fakeheavy.no_grad():
        pass

    @fakeheavy.no_grad()
    def g():
        return 5

    assert g() == 5


def test_configuration_dataclass_requires_fields_without_default():
    @configuration
    class Conf(ConfigurationBase):
        batch: int

    from labrun.experiments.configuration import build

    with pytest.raises(Exception, match="batch: required"):
        build(Conf, {"id": "x"})
    assert build(Conf, {"id": "x", "batch": 3}).batch == 3


def test_experiment_refuses_a_dirty_repository(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    commit_one_file(repo)
    monkeypatch.chdir(repo)
    (repo / "scratch.txt").write_text("untracked files do not make it dirty\n")
    with experiment(tmp_path / "ws", "clean", dirty_git=DirtyGitAction.ERROR):
        pass
    (repo / "train.py").write_text("print(2)\n")
    with pytest.raises(DirtyGitError, match="uncommitted changes") as info:
        with experiment(tmp_path / "ws", "my-exp", dirty_git=DirtyGitAction.ERROR):
            pass
    assert info.value.code == "DIRTY_GIT"
    with pytest.warns(UserWarning, match="uncommitted changes"):
        with experiment(tmp_path / "ws", "my-exp", dirty_git="warn"):
            pass
    with experiment(tmp_path / "ws", "my-exp", dirty_git=DirtyGitAction.IGNORE) as xp:
        assert xp.title == "my-exp" and xp.base_dir == str(tmp_path / "ws")


def commit_one_file(repo):
    """A git repository with train.py committed."""
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run(git + ["add", "train.py"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "first"], check=True)
