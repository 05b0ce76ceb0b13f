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


REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# The engine under test: this worktree's, or another build of it (LABRUN_TEST_ENGINE=/path/to/bin/labrun.js).
ENGINE_JS = os.environ.get("LABRUN_TEST_ENGINE") or os.path.join(REPO_ROOT, "bin", "labrun.js")


_engine_state = {}


def engine_missing():
    """Why the worktree's engine (`node bin/labrun.js`, built by `npm run build`) cannot run plans, or None."""
    if "why" not in _engine_state:
        why = None
        if not os.path.isfile(os.path.join(os.path.dirname(os.path.dirname(ENGINE_JS)), "dist", "cli", "main.js")):
            why = "the engine is not built: run `npm run build` in the repository first"
        else:
            done = subprocess.run(["node", ENGINE_JS, "--help"], capture_output=True, text=True)
            if "\n  plan" not in done.stdout:
                why = "this build of the engine has no `labrun plan run`: run `npm run build` again"
        _engine_state["why"] = why
    return _engine_state["why"]


@pytest.fixture
def engine(monkeypatch, tmp_path):
    """LABRUN_CLI pointing at this worktree's engine, a fresh workspace (LABRUN_HOME) and a project folder
    as the current directory. Skips when the engine is not built."""
    if engine_missing():
        pytest.skip(engine_missing())
    home = tmp_path / "ws"
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("LABRUN_CLI", ENGINE_JS)
    monkeypatch.setenv("LABRUN_HOME", str(home))
    monkeypatch.chdir(project)
    return {"home": str(home), "project": project}


def run_script(project, name, code, extra_env=None, timeout=300, args=()):
    """Writes `code` (dedented) to project/name and runs it with this interpreter: (code, out, err)."""
    path = project / name
    path.write_text(textwrap.dedent(code))
    done = subprocess.run(
        [sys.executable, str(path), *args],
        cwd=str(project),
        env=child_env(extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, done.stdout, done.stderr
