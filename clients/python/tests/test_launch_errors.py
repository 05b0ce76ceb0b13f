"""Bad input to the launch API raises typed errors with TypeScript's codes, before anything is launched
(no engine is needed for any of these: nothing reaches it)."""

import os
import re

import pytest

import labrun as run
from labrun import errors
from labrun.errors import error_from_wire

from conftest import REPO_ROOT


def train(lr: float, epochs: int = 3) -> float:
    return lr * epochs


class Holder:
    def method(self, x):
        return x


def ts_codes():
    # src/errors.ts re-exports the classes of src/errors/ (one file per area)
    folder = os.path.join(REPO_ROOT, "src", "errors")
    files = [os.path.join(REPO_ROOT, "src", "errors.ts")] + [
        os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".ts")
    ]
    codes = set()
    for file in files:
        with open(file, "r", encoding="utf-8") as f:
            codes |= set(re.findall(r'readonly code = "([A-Z_]+)"', f.read()))
    return codes


def test_every_launch_error_code_is_typescripts():
    python_only = {"ENGINE_NOT_FOUND", "ENGINE_FAILED"}
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.LabrunError) and cls is not errors.LabrunError
    }
    missing = codes - ts_codes() - python_only - {"TRACKING_VALUE"}
    assert not missing, f"codes TypeScript does not have: {missing}"
    for code in (
        "INVALID_TASK",
        "INVALID_EXECUTOR",
        "UNKNOWN_DEPENDENCY",
        "DEPENDENCY_CYCLE",
        "DIRTY_GIT",
        "PLAN_INVALID",
    ):
        assert code in codes


def test_lambda_and_nested_functions_are_refused_naming_them():
    with pytest.raises(run.InvalidTaskError, match="lambda") as info:
        run.Partial(lambda x: x, 1)
    assert info.value.code == "INVALID_TASK"

    def local_step(x):
        return x

    with pytest.raises(run.InvalidTaskError, match=r"local_step is defined inside another function"):
        run.Partial(local_step, 1)
    with pytest.raises(run.InvalidTaskError, match="bound to an object"):
        run.Partial(Holder().method, 1)


def test_non_json_arguments_are_refused_naming_the_argument():
    with pytest.raises(run.InvalidTaskError, match=r"argument 'lr' is a set"):
        run.Partial(train, lr={0.1})
    with pytest.raises(run.InvalidTaskError, match=r"argument 0\[1\]\.w is a object"):
        run.Partial(train, [1, {"w": object()}])
    with pytest.raises(run.InvalidTaskError, match=r"argument 'lr' is nan"):
        run.Partial(train, lr=float("nan"))
    p = run.Partial(train, lr=0.1)
    with pytest.raises(run.InvalidTaskError, match=r"argument 'epochs' is a bytes"):
        p.epochs = b"3"
    with pytest.raises(run.InvalidTaskError, match="unexpected keyword argument 'momentum'"):
        run.Partial(train, lr=0.1, momentum=0.9)


def test_unknown_executor_options_are_refused():
    with pytest.raises(run.InvalidExecutorError, match=r"SlurmExecutor has no option 'gpus_per_task'") as info:
        run.SlurmExecutor(partition="gpu", gpus_per_task=1)
    assert info.value.code == "INVALID_EXECUTOR"
    with pytest.raises(run.InvalidExecutorError, match="did you mean 'max_parallel'"):
        run.LocalExecutor(max_paralel=2)
    executor = run.SlurmExecutor()
    with pytest.raises(run.InvalidExecutorError):
        executor.ntasks = 2
    with pytest.raises(run.InvalidExecutorError, match="whole number"):
        run.SlurmExecutor(nodes=0)
    with pytest.raises(run.InvalidExecutorError, match="needs host, job_dir"):
        run.SSHTunnel()
    with pytest.raises(run.InvalidExecutorError, match="must be a LocalTunnel or an SSHTunnel"):
        run.SlurmExecutor(tunnel="login.cluster")


def test_slurm_options_map_to_the_engines_names():
    executor = run.SlurmExecutor(
        partition="gpu",
        gpus_per_node=1,
        ntasks_per_node=2,
        additional_parameters={"qos": "high"},
        array={"throttle": 4},
        setup_lines=["module load cuda"],
        env_vars={"A": "1"},
        tunnel=run.SSHTunnel(host="login", job_dir="/scratch/me", ssh_options={"StrictHostKeyChecking": "no"}),
        packager=run.GitArchivePackager(ref="main"),
    )
    executor.nodes = 2
    assert executor.to_spec() == {
        "kind": "slurm",
        "partition": "gpu",
        "gpusPerNode": 1,
        "ntasksPerNode": 2,
        "additionalParameters": {"qos": "high"},
        "array": {"throttle": 4},
        "setupLines": ["module load cuda"],
        "env": {"A": "1"},
        "tunnel": {
            "kind": "ssh",
            "host": "login",
            "jobDir": "/scratch/me",
            "sshOptions": {"StrictHostKeyChecking": "no"},
        },
        "packager": {"kind": "git-archive", "ref": "main"},
        "nodes": 2,
    }


def test_unknown_dependency_and_cycle_are_refused_before_launch():
    with pytest.warns(UserWarning, match=r"run\(\) was never called"), run.Experiment("bad-deps") as exp:
        first = exp.add(run.Script(inline="true"), name="a")
        with pytest.raises(run.UnknownDependencyError, match=r"depends on 'nope'") as info:
            exp.add(run.Script(inline="true"), name="b", dependencies=["nope"])
        assert info.value.code == "UNKNOWN_DEPENDENCY"
        second = exp.add(run.Script(inline="true"), name="b", dependencies=[first])
        exp.jobs[0].dependencies.append(second)  # NeMo-Run's jobs are mutable until run()
        with pytest.raises(run.DependencyCycleError, match="a → b → a") as info:
            exp.run()
        assert info.value.code == "DEPENDENCY_CYCLE"
        assert exp.id is None and not exp._launched
        exp.jobs[0].dependencies.clear()


def test_names_groups_and_executor_counts():
    exp = run.Experiment("names")
    assert exp.add(run.Script(inline="true")) == "script"
    assert exp.add(run.Script(inline="true")) == "script-1"
    assert exp.add([run.Script(inline="a"), run.Script(inline="b")], name="grp") == "grp"
    assert [j.id for j in exp.jobs] == ["script", "script-1", "grp"]
    assert exp.jobs[2].member_names == ["grp-0", "grp-1"]
    with pytest.raises(run.DuplicateJobNameError):
        exp.add(run.Script(inline="true"), name="grp")
    with pytest.raises(run.InvalidExecutorError, match="Got 1 executors for 2 tasks"):
        exp.add([run.Script(inline="a"), run.Script(inline="b")], executor=[run.LocalExecutor()])
    with pytest.raises(run.InvalidTaskError, match="exactly one of"):
        run.Script(inline="x", path="y.sh")
    with pytest.raises(run.InvalidTaskError, match="takes a run.Script"):
        exp.add("echo hi")


def test_engine_errors_come_back_as_their_classes():
    error = error_from_wire({"code": "UNKNOWN_DEPENDENCY", "message": "Job x depends on y", "details": {"job": "x"}})
    assert isinstance(error, run.UnknownDependencyError) and str(error) == "Job x depends on y"
    assert error.details == {"job": "x"}
    newer = error_from_wire({"code": "SOMETHING_NEW", "message": "new"})
    assert isinstance(newer, run.EngineError) and newer.code == "SOMETHING_NEW"


def test_no_engine_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.delenv("LABRUN_CLI", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning), run.Experiment("nowhere") as exp:
        exp.add(run.Script(inline="true"))
        with pytest.raises(run.EngineNotFoundError, match="npm install -g labrun") as info:
            exp.run()
    assert info.value.code == "ENGINE_NOT_FOUND"
