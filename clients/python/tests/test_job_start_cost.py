"""A launched Python job's start-up stays close to a bare interpreter's: the runner reads and writes JSON
without the json module (and so without re), and imports neither typing nor runpy. And its JSON reader and
writer give exactly json's results."""

import json
import math
import random
import subprocess
import sys

import pytest

from labrun import _json_lite
from conftest import child_env

RUNNER_CODE = "import sys; from labrun._job_runner import main; sys.exit(main())"
HEAVY = {"typing", "re", "json", "runpy", "importlib.util", "contextlib"}


def test_a_partial_job_imports_no_heavy_module(tmp_path):
    (tmp_path / "steps.py").write_text("def step(i, name='x'):\n    return {'i': i, 'name': name}\n")
    call = tmp_path / "call.json"
    call.write_text(json.dumps({"labrunCall": 1, "kind": "partial", "module": "steps", "file": None,
                                "function": "step", "args": [3], "kwargs": {"name": "é\n\"q\""}}, indent=2))
    env = child_env({"PYTHONPATH": f"{tmp_path}:{child_env()['PYTHONPATH']}"})
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", RUNNER_CODE, str(call)],
                          env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "labrun._job_runner" in imported
    assert imported & HEAVY == set()
    assert json.loads((tmp_path / "result.json").read_text()) == {"i": 3, "name": "é\n\"q\""}


def _random_value(rng, depth=0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 7, 2**53 + 1, -(10**30), rng.randrange(-10**6, 10**6)])
    if kind == 3:
        return rng.choice([0.0, -0.0, 1.5, 1e21, 1e-7, 123456.789, -2.5e-300, rng.uniform(-1e6, 1e6)])
    if kind in (4, 5):
        alphabet = "ab\"\\/\n\t\x00\x1féü€😀\u2028\ud800 "
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
    if kind in (6, 7):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {_random_value(rng, 3) if False else str(rng.randrange(100)): _random_value(rng, depth + 1)
            for _ in range(rng.randrange(4))}


def test_reader_and_writer_match_json_on_random_values():
    rng = random.Random(12)
    for _ in range(3000):
        value = _random_value(rng)
        text = json.dumps(value)
        assert _json_lite.dumps(value) == text
        for written in (text, json.dumps(value, indent=2), json.dumps(value, ensure_ascii=False)):
            read = _json_lite.loads(written)
            assert read == json.loads(written) and json.dumps(read) == text


@pytest.mark.parametrize("text", ["{", "[1,]", "01", "1.", ".5", "+1", "-", "1e", "tru", '{"a" 1}', "[1] x", '"\\x"'])
def test_malformed_documents_raise_what_json_raises(text):
    with pytest.raises(json.JSONDecodeError) as lite:
        _json_lite.loads(text)
    with pytest.raises(json.JSONDecodeError) as plain:
        json.loads(text)
    assert str(lite.value) == str(plain.value)


def test_values_json_refuses_are_refused_the_same_way():
    for value in (math.nan, math.inf, {"a": [1, -math.inf]}):
        with pytest.raises(ValueError):
            _json_lite.dumps(value)
    with pytest.raises(TypeError):
        _json_lite.dumps({"s": {1, 2}})
    assert _json_lite.dumps({1: "int key"}) == json.dumps({1: "int key"})
    assert _json_lite.loads("1e400") == json.loads("1e400")
