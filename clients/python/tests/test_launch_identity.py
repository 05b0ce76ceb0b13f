"""Task identities are the engine's, byte for byte: the golden file TypeScript checks too, and canonical JSON
compared with Node's JSON.stringify on the same values."""

import json
import os
import random
import shutil
import subprocess
from typing import List

import pytest

from labrun._canonical import canonical_json, js_number
from labrun.tasks import Config, Meta, Param, Task, identity_of, task

from conftest import REPO_ROOT

GOLDEN = os.path.join(REPO_ROOT, "test", "fixtures", "golden-identities.json")


class Opt(Config):
    name: Param[str]
    momentum: Param[float] = 0.9
    logEvery: Meta[float] = 10


@task("model")
class Model(Task):
    lr: Param[float]
    layers: Param[List[float]] = [64, 64]
    opt: Param[Opt]
    workers: Meta[int] = 4


@task("prepare")
class Prepare(Task):
    n: Param[float]
    seconds: Param[float] = 0
    verbose: Meta[bool] = False


@task("train")
class Train(Task):
    lr: Param[float]
    data: Param[Prepare]
    epochs: Param[float] = 2


# The cases of the golden file that TypeScript builds from task definitions, built here from the same
# definitions in Python (test/typed-tasks.test.ts, test/fixtures/typed-tasks.ts).
BUILT = {
    "model lr=0.001 sgd": lambda: Model(lr=0.001, opt={"name": "sgd"}),
    "prepare n=3": lambda: Prepare(n=3),
    "train lr=0.1 on prepare n=3": lambda: Train(lr=0.1, data=Prepare(n=3)),
}


def golden_cases():
    with open(GOLDEN, "r", encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict) and "cases" in data:
        data = data["cases"]
    if isinstance(data, dict):
        return [{"label": k, **v} if isinstance(v, dict) else {"label": k, "identity": v} for k, v in data.items()]
    return [dict(case, label=case.get("label") or case.get("name") or case.get("taskId")) for case in data]


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: str(c["label"]))
def test_golden_identity(case):
    if "taskId" in case:
        assert identity_of(case["taskId"], case["params"], case.get("meta") or []) == case["identity"]
    if case["label"] in BUILT:
        assert BUILT[case["label"]]().identity == case["identity"]
    assert "taskId" in case or case["label"] in BUILT, f"no Python construction for golden case {case['label']!r}"


def test_identity_ignores_meta_defaults_and_key_order():
    a = Model(lr=0.001, opt={"name": "sgd"})
    b = Model(opt={"momentum": 0.9, "name": "sgd", "logEvery": 99}, layers=[64.0, 64], lr=1e-3, workers=16)
    assert a.identity == b.identity
    assert Model(lr=0.002, opt={"name": "sgd"}).identity != a.identity
    assert Model(lr=0.001, opt={"name": "sgd", "momentum": 0.8}).identity != a.identity
    assert Train(lr=0.1, data=Prepare(n=3, verbose=True)).identity == Train(lr=0.1, data=Prepare(n=3)).identity
    assert Train(lr=0.1, data=Prepare(n=4)).identity != Train(lr=0.1, data=Prepare(n=3)).identity


def _random_value(rng, depth=0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-(2**60), 2**60) if rng.random() < 0.2 else rng.randrange(-1000, 1000)
    if kind == 3:
        return rng.choice([0.1, 1e-7, 1e21, 1e20, 3.0, -0.0, 5e-324, 1.7976931348623157e308, 123.456, 1 / 3])
    if kind == 4:
        return rng.uniform(-1, 1) * 10 ** rng.randrange(-12, 25)
    if kind == 5:
        return "".join(
            rng.choice(["a", "é", "\n", '"', "\\", "\u2028", "\x01", "😀", "Z", " "]) for _ in range(rng.randrange(6))
        )
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["b", "a", "B", "é", "😀", "\uffff", "aa", "", "1", "10", "2"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


NODE_CANONICAL = """
const sortKeys = (v) => Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === "object"
  ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)])) : v;
let input = ""; process.stdin.on("data", (d) => (input += d)); process.stdin.on("end", () => {
  const out = JSON.parse(input).map((v) => JSON.stringify(sortKeys(v)));
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_canonical_json_matches_javascript():
    rng = random.Random(12)
    values = [_random_value(rng) for _ in range(400)]
    # Python's json reads back what JS would parse: integers beyond 2**53 lose precision in JS, as in ours.
    payload = json.dumps(values)
    done = subprocess.run(["node", "-e", NODE_CANONICAL], input=payload, capture_output=True, text=True, check=True)
    expected = json.loads(done.stdout)
    for value, js in zip(values, expected):
        assert canonical_json(value) == js, value


def test_numbers_print_as_javascript():
    assert [js_number(v) for v in (1.0, 1e-5, 1e-7, 1e21, 2.5, -0.0, 2**53 + 1)] == [
        "1",
        "0.00001",
        "1e-7",
        "1e+21",
        "2.5",
        "0",
        "9007199254740992",
    ]
