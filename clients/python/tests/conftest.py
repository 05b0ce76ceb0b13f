import json
import os
import subprocess
import sys
import textwrap

import pytest

import labrun

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(labrun.__file__)))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """Every test gets its own runs root and no launched-job binding."""
    for var in ("LABRUN_RUN_DIR", "LABRUN_RUN_PREFIX", "LABRUN_HOME", "LABRUN_FLUSH_INTERVAL", "LABRUN_USER"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "runs"
    monkeypatch.setenv("LABRUN_RUNS", str(root))
    labrun.Run._current = None
    yield
    labrun.Run._current = None


@pytest.fixture
def root(tmp_path):
    return tmp_path / "runs"


def read_lines(path):
    """Raw JSONL records (Python's json reads the NaN/Infinity tokens), failing on any bad line."""
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), f"{path} ends with a torn line"
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def read_json(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def child_env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def spawn(code, extra_env=None, **kwargs):
    """Starts `python -c code` (dedented) with labrun importable; stdout is a pipe."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=child_env(extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def run_child(code, extra_env=None, timeout=60):
    proc = spawn(code, extra_env)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err
