"""Both directions with the real ML-Dash 0.11 package: runs labrun writes are read by ML-Dash's Python API,
and runs ML-Dash writes in local mode are read (and resumed) by labrun. Skipped without ml-dash."""

import contextlib
import io
import json
import math
import os

import pytest

ml_dash = pytest.importorskip("ml_dash", reason="ml-dash is not installed (pip install ml-dash==0.11.0)")

from ml_dash import Experiment  # noqa: E402

from conftest import read_lines  # noqa: E402
from labrun import Run  # noqa: E402


@contextlib.contextmanager
def quiet():
    # ML-Dash prints a line per log call and a flush report; keep test output readable.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def test_version():
    assert ml_dash.__version__.startswith("0.11")


def test_ml_dash_reads_what_labrun_writes(root, tmp_path):
    src = tmp_path / "model.pt"
    src.write_bytes(b"weights")
    with Run(prefix="alice/vision/sweep/resnet", description="labrun run", tags=["a", "b"], bindrs=["gpu"]).run as run:
        run.log("training started", level="info", lr=0.1)
        run.logs.warn("nan ahead", loss=float("nan"))
        run.params.set(lr=1e-3, model={"depth": 50, "name": "resnet"})
        for i in range(5):
            run.metrics("train").log(loss=1.0 / (i + 1), step=i)
        run.metrics("train").log(loss=float("nan"), grad=float("inf"), step=5)
        run.metrics.log(epoch=1, eval={"acc": 0.9})
        run.tracks("robot/pos").append(x=1.0, q=[1, 2], _ts=1.5)
        run.files("models").save(str(src))
        run.files("configs").save({"a": 1}, name="cfg.json")

    with quiet():
        with Experiment(prefix="alice/vision/sweep/resnet", dash_root=str(root)).run as exp:
            assert exp.params.get() == {"lr": 1e-3, "model.depth": 50, "model.name": "resnet"}
            assert exp.params.get(flatten=False)["model"] == {"depth": 50, "name": "resnet"}
            points = exp.metrics("train").read(start_index=0, limit=100)["data"]
            assert [p["index"] for p in points] == list(range(6))
            assert [p["data"]["step"] for p in points] == list(range(6))
            assert math.isnan(points[5]["data"]["loss"]) and points[5]["data"]["grad"] == math.inf
            # ML-Dash reads by line offset: the 4th line onwards.
            assert [p["index"] for p in exp.metrics("train").read(start_index=3, limit=2)["data"]] == [3, 4]
            stats = exp.metrics("train").stats()
            assert stats["totalDataPoints"] == "6" and stats["name"] == "train"
            names = sorted(str(m["name"]) for m in exp.metrics("train").list_all())
            assert names == ["None", "eval", "train"]
            assert exp.metrics("eval").read()["data"][0]["data"]["acc"] == 0.9
            entries = exp.tracks("robot/pos").read()["entries"]
            assert entries == [{"timestamp": 1.5, "x": 1.0, "q": [1, 2]}]
            files = exp.files("models").list()
            assert [f["filename"] for f in files] == ["model.pt"]
            out = exp.files("models/model.pt").download(to=str(tmp_path / "back.pt"))
            assert open(out, "rb").read() == b"weights"  # ML-Dash verified the checksum
            assert exp.files("configs/cfg.json").exists()
            # ML-Dash appends to labrun's streams where labrun left off.
            exp.metrics("train").log(loss=0.01, step=6)
            exp.log("from ml-dash", level="info")
            exp.params.set(extra=True)

    # ML-Dash kept labrun's fields when it re-opened the run.
    info = json.load(open(os.path.join(run.dir, "experiment.json")))
    assert info["status"] == "COMPLETED" and info["labrunFormat"] == 1 and info["tags"] == ["a", "b"]
    assert info["description"] == "labrun run"
    view = Run.open("alice/vision/sweep/resnet")
    assert [p["index"] for p in view.metrics("train").read()] == list(range(7))
    assert [r["sequenceNumber"] for r in view.logs.read()] == [0, 1, 2]
    assert view.logs.read()[2]["message"] == "from ml-dash"
    assert view.params.get()["extra"] is True
    assert view.status == "COMPLETED"


def test_labrun_reads_and_resumes_what_ml_dash_writes(root, tmp_path):
    src = tmp_path / "ckpt.pt"
    src.write_bytes(b"checkpoint")
    with quiet():
        with Experiment(prefix="bob/nlp/bert/run1", dash_root=str(root), tags=["mld"], readme="from ml-dash").run as exp:
            exp.log("hello", level="warn", k=1)
            exp.logs.info("second", a=2)
            exp.params.set(lr=0.01, model={"layers": 12})
            exp.metrics("train").log(loss=0.5, epoch=1)
            exp.metrics("train").log(loss=float("nan"), epoch=2)
            exp.metrics.log(epoch=3, train={"loss": 0.1}, eval={"loss": 0.2})
            exp.files("models").save(str(src))
            exp.files("models").save(b"xyz", to="blob.bin")
            exp.tracks("robot/pos").append(x=1.0, nested={"a": 1}, _ts=1.0)
            exp.tracks("robot/pos").append(y=2.0, _ts=1.0)

    view = Run.open("bob/nlp/bert/run1", root=str(root))
    assert view.status == "UNKNOWN" and view.recorded_status == "UNKNOWN" and not view.died
    assert view.info()["tags"] == ["mld"] and view.description == "from ml-dash"
    assert view.params.get() == {"lr": 0.01, "model.layers": 12}
    assert view.params.get(flatten=False) == {"lr": 0.01, "model": {"layers": 12}}
    train = view.metrics("train").read()
    assert [p["data"]["epoch"] for p in train] == [1, 2, 3]
    assert math.isnan(train[1]["data"]["loss"])
    assert view.metrics.names() == [None, "eval", "train"]
    assert [p["data"]["epoch"] for p in view.metrics.unnamed().read()] == [3]
    logs = view.logs.read()
    assert [(r["level"], r["message"]) for r in logs] == [("warn", "hello"), ("info", "second")]
    assert logs[0]["metadata"] == {"k": 1}
    assert [r["message"] for r in view.logs.read(level="warn")] == ["hello"]
    assert sorted(f["filename"] for f in view.files("models").list()) == ["blob.bin", "ckpt.pt"]
    assert view.files("models").read_bytes("blob.bin") == b"xyz"
    out = view.files("models").download("ckpt.pt", to=str(tmp_path / "ckpt-back.pt"))
    assert open(out, "rb").read() == b"checkpoint"
    assert view.tracks("robot/pos").read() == [{"timestamp": 1.0, "x": 1.0, "nested.a": 1, "y": 2.0}]
    assert [v.prefix for v in Run.list(root=str(root))] == ["bob/nlp/bert/run1"]

    # labrun resumes the run as its owner and appends where ML-Dash stopped.
    with Run(prefix="bob/nlp/bert/run1", root=str(root)).run as run:
        run.metrics("train").log(loss=0.05, epoch=4)
        run.log("resumed by labrun")
        run.params.set(model={"heads": 8})
    data = read_lines(os.path.join(run.dir, "metrics", "train", "data.jsonl"))
    assert [p["index"] for p in data] == [0, 1, 2, 3]
    assert [r["sequenceNumber"] for r in read_lines(os.path.join(run.dir, "logs", "logs.jsonl"))] == [0, 1, 2]
    info = json.load(open(os.path.join(run.dir, "experiment.json")))
    assert info["status"] == "COMPLETED" and info["tags"] == ["mld"] and info["write_protected"] is False
    with quiet():
        with Experiment(prefix="bob/nlp/bert/run1", dash_root=str(root)).run as exp:
            assert exp.metrics("train").read()["data"][3]["data"]["loss"] == 0.05
            assert exp.params.get() == {"lr": 0.01, "model.layers": 12, "model.heads": 8}
            assert exp.metrics("train").stats()["totalDataPoints"] == "4"
