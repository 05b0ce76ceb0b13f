"""experimaestro's first-stage example through `labrun run-experiment`: YAML + experiment.py + a
@configuration dataclass + `-c` overrides, in the NORMAL, DRY_RUN and GENERATE modes (real engine, real
jobs)."""

import json
import os
import subprocess
import textwrap

import pytest

from conftest import ENGINE_JS, child_env, read_json

EXPERIMENT = """
from dataclasses import field
from typing import List

from labrun.experiments import ConfigurationBase, ExperimentHelper, configuration
from labrun.tasks import Meta, Param, Task, task


@task("first_stage.train")
class Train(Task):
    lr: Param[float]
    epochs: Param[int] = 2
    verbose: Meta[bool] = False

    def execute(self) -> dict:
        from labrun import Run

        run = Run.current()
        for epoch in range(self.epochs):
            run.metrics("train").log(loss=self.lr / (epoch + 1), step=epoch)
        return {"lr": self.lr}


@configuration
class Configuration(ConfigurationBase):
    #: learning rates of the sweep
    learning_rates: List[float] = field(default_factory=lambda: [1e-3])
    epochs: int = 2


def run(helper: ExperimentHelper, cfg: Configuration) -> None:
    for lr in cfg.learning_rates:
        Train(lr=lr, epochs=cfg.epochs).submit(helper.experiment)
"""

YAML = """
id: first-stage
file: experiment
learning_rates: [0.1, 0.01]
"""


@pytest.fixture
def stage(engine):
    project = engine["project"]
    (project / "experiment.py").write_text(textwrap.dedent(EXPERIMENT))
    (project / "full.yaml").write_text(textwrap.dedent(YAML))
    return engine


def labrun(engine, *args, timeout=300):
    return subprocess.run(
        ["node", ENGINE_JS, *args, "--workspace", engine["home"]],
        cwd=str(engine["project"]),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def experiments(engine):
    done = labrun(engine, "experiment", "list", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_normal_mode_runs_the_typed_tasks(stage):
    done = labrun(stage, "run-experiment", "full.yaml", "-c", "epochs=3")
    assert done.returncode == 0, done.stderr
    [summary] = experiments(stage)
    assert summary["title"] == "first-stage" and summary["state"] == "COMPLETED"
    assert summary["jobs"]["COMPLETED"] == 2
    status = json.loads(labrun(stage, "experiment", "status", summary["id"], "--json").stdout)
    results = sorted(read_json(os.path.join(job["directory"], "result.json"))["lr"] for job in status["jobs"])
    assert results == [0.01, 0.1]
    assert all(job["metrics"]["train.step"] == 2 for job in status["jobs"])  # epochs=3 from -c


def test_dry_run_and_generate_run_nothing(stage):
    done = labrun(stage, "run-experiment", "--run-mode", "DRY_RUN", "full.yaml", "-c", "learning_rates=[0.5]")
    assert done.returncode == 0, done.stderr
    assert "first_stage.train" in done.stdout
    assert experiments(stage) == []
    done = labrun(stage, "run-experiment", "--run-mode", "GENERATE", "full.yaml")
    assert done.returncode == 0, done.stderr
    scripts = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(os.path.join(stage["home"], "jobs", "first_stage.train"))
        for name in names
        if name == "run.sh"
    )
    assert len(scripts) == 2
    ran = subprocess.run(["bash", scripts[0]], capture_output=True, text=True, timeout=60, env=child_env())
    assert ran.returncode == 0, ran.stderr
    assert os.path.exists(os.path.join(os.path.dirname(scripts[0]), "result.json"))


@pytest.mark.parametrize(
    "override, message",
    [
        ("learning_rates=[0.1, fast]", "learning_rates[1]: expected float, got str"),
        ("learning_rate=0.1", "learning_rate: unknown configuration key; did you mean 'learning_rates'?"),
    ],
)
def test_bad_configuration_names_the_key_and_launches_nothing(stage, override, message):
    done = labrun(stage, "run-experiment", "full.yaml", "-c", override)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert experiments(stage) == []


def test_an_exception_in_run_shows_its_traceback(stage):
    broken = EXPERIMENT.replace(
        "    for lr in cfg.learning_rates:",
        "    raise ValueError('no data for ' + cfg.id)\n    for lr in cfg.learning_rates:",
    )
    (stage["project"] / "experiment.py").write_text(textwrap.dedent(broken))
    done = labrun(stage, "run-experiment", "full.yaml")
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ValueError: no data for first-stage" in done.stderr
    assert experiments(stage) == []
