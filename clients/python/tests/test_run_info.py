"""RUN: entry, path_stem, project_root, user, now."""

import datetime
import os

from labrun import RUN, find_project_root
from labrun.run_info import RunInfo


def test_path_stem_from_project_root(tmp_path):
    project = tmp_path / "proj"
    script = project / "experiments" / "vision" / "resnet" / "train.py"
    script.parent.mkdir(parents=True)
    script.write_text("")
    (project / "pyproject.toml").write_text("")
    info = RunInfo()
    info.entry = str(script)
    assert info.project_root == str(project)
    assert info.path_stem == "experiments/vision/resnet/train"
    info.entry = str(script.parent)  # a sweep folder
    assert info.path_stem == "experiments/vision/resnet"
    info.project_root = str(project / "experiments")
    assert info.path_stem == "vision/resnet"
    assert info.project == "experiments"


def test_project_markers(tmp_path):
    for marker in ("package.json", ".git"):
        base = tmp_path / marker.strip(".")
        (base / "a" / "b").mkdir(parents=True)
        if marker == ".git":
            (base / ".git").mkdir()
        else:
            (base / marker).write_text("{}")
        assert find_project_root(base / "a" / "b") == str(base)


def test_user_and_now(monkeypatch):
    monkeypatch.setenv("USER", "bob")
    assert RUN.user == "bob"
    monkeypatch.setenv("LABRUN_USER", "alice")
    assert RUN.user == "alice"
    assert isinstance(RUN.now, datetime.datetime)
    assert RUN.now == RUN.now


def test_default_entry_is_the_main_script(tmp_path):
    script = tmp_path / "proj" / "exp" / "run.py"
    script.parent.mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("")
    script.write_text(
        "from labrun import RUN, Run\n"
        "print(RUN.path_stem)\n"
        "with Run(prefix=f'{RUN.user}/demo/{RUN.path_stem}').run as run:\n"
        "    print(run.prefix)\n"
    )
    import subprocess, sys
    from conftest import child_env

    out = subprocess.run([sys.executable, str(script)], env=child_env({"LABRUN_USER": "carol"}), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["exp/run", "carol/demo/exp/run"]
    assert os.path.isdir(os.path.join(os.environ["LABRUN_RUNS"], "carol", "demo", "exp", "run"))
