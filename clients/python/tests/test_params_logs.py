"""Parameters (nested, merged, flattened) and log records (levels, filters, sequence)."""

import math
import os
import re

import pytest

from conftest import read_json, read_lines
from labrun import InvalidArgumentError, Run


def test_params_nested_merged_and_flattened():
    with Run(prefix="alice/p/params").run as run:
        run.params.set(lr=1e-3, model={"depth": 50, "act": {"name": "relu"}}, layers=[1, 2])
        run.params.set(model={"width": 2})
        run.params.set({"model.depth": 101}, opt="adam")
        assert run.params.get() == {
            "lr": 1e-3, "model.depth": 101, "model.act.name": "relu", "layers": [1, 2], "model.width": 2, "opt": "adam",
        }
        assert run.params.get(flatten=False) == {
            "lr": 1e-3, "model": {"depth": 101, "act": {"name": "relu"}, "width": 2}, "layers": [1, 2], "opt": "adam",
        }
    doc = read_json(os.path.join(run.dir, "parameters.json"))
    assert doc["version"] == 3
    assert doc["createdAt"].endswith("Z") and doc["updatedAt"] >= doc["createdAt"]
    assert doc["data"]["model.act.name"] == "relu"


def test_params_leaf_and_parent_keep_the_flat_form():
    with Run(prefix="alice/p/params2").run as run:
        run.params.set(a=1)
        run.params.set(**{"a.b": 2})
    assert run.params.get(flatten=False) == {"a": 1, "a.b": 2}


def test_params_keep_created_at_written_by_others():
    with Run(prefix="alice/p/params3").run as run:
        run.params.set(x=1)
    path = os.path.join(run.dir, "parameters.json")
    doc = read_json(path)
    doc.pop("createdAt")  # ML-Dash drops it on update
    import json

    with open(path, "w") as f:
        json.dump(doc, f)
    with Run(prefix="alice/p/params3").run as run:
        run.params.set(y=2)
    doc = read_json(path)
    assert "createdAt" not in doc and doc["version"] == 2 and doc["data"] == {"x": 1, "y": 2}


def test_params_set_on_a_damaged_parameters_json_raises_corrupt_record_and_keeps_the_file():
    from labrun import CorruptRecordError

    with Run(prefix="alice/p/params-damaged").run as run:
        run.params.set(x=1)
    path = os.path.join(run.dir, "parameters.json")
    with open(path, "w") as f:
        f.write('{"version": 1, "data": {"x"')  # cut short
    os.utime(path, (0, 0))  # not being written: read once, not waited for
    run = Run(prefix="alice/p/params-damaged").start()
    with pytest.raises(CorruptRecordError) as caught:
        run.params.set(y=2)
    assert caught.value.code == "CORRUPT_RECORD"
    assert run.write_status()["pending"] == 0  # refused, not queued for a retry
    run.complete()
    assert run.info()["status"] == "COMPLETED"
    with open(path) as f:
        assert f.read() == '{"version": 1, "data": {"x"'


def test_params_non_finite_and_class_objects():
    class Args:
        batch_size = 64
        lr = 0.001
        _private = 1

        def method(self):
            pass

    with Run(prefix="alice/p/params4").run as run:
        run.params.set(Args=Args, eps=float("nan"), big=float("inf"))
    got = Run.open("alice/p/params4").params.get()
    assert got["Args.batch_size"] == 64 and got["Args.lr"] == 0.001 and "Args._private" not in got
    assert math.isnan(got["eps"]) and got["big"] == math.inf
    with open(os.path.join(run.dir, "parameters.json")) as f:
        text = f.read()
    assert '"eps":NaN' in text and '"big":Infinity' in text


def test_log_records_and_levels():
    with Run(prefix="alice/p/logs").run as run:
        run.log("started")
        run.log("custom", level="error", metadata={"a": 1}, b=2)
        run.logs.debug("d", step=1)
        run.logs.info("i")
        run.logs.warn("w", free_gb=1.5)
        run.logs.error("e")
        run.logs.fatal("f", code=137)
        run.logs.warning("w2")
    records = read_lines(os.path.join(run.dir, "logs", "logs.jsonl"))
    assert [r["sequenceNumber"] for r in records] == list(range(8))
    assert [r["level"] for r in records] == ["info", "error", "debug", "info", "warn", "error", "fatal", "warn"]
    assert records[0] == {k: records[0][k] for k in ("sequenceNumber", "timestamp", "level", "message")}
    assert "metadata" not in records[0]  # omitted when empty, as ML-Dash does
    assert records[1]["metadata"] == {"a": 1, "b": 2}
    assert records[2]["timestamp"].endswith("Z")
    with open(os.path.join(run.dir, "logs", ".log_sequence")) as f:
        assert f.read() == "8"


def test_logs_read_filters():
    with Run(prefix="alice/p/logs2").run as run:
        for i in range(20):
            run.log(f"step {i}", level=["debug", "info", "warn", "error"][i % 4], i=i)
    view = Run.open("alice/p/logs2")
    assert len(view.logs.read()) == 20
    assert [r["metadata"]["i"] for r in view.logs.read(level="error")] == [3, 7, 11, 15, 19]
    assert len(view.logs.read(level="warn")) == 10
    assert [r["message"] for r in view.logs.read(regex=r"step 1\d$")] == [f"step {i}" for i in range(10, 20)]
    assert [r["message"] for r in view.logs.read(regex=re.compile("step [0-4]$"), tail=2)] == ["step 3", "step 4"]
    tail = view.logs.read(level="info", tail=3)
    assert [r["metadata"]["i"] for r in tail] == [17, 18, 19] and tail.total == 15
    assert len(view.logs.read(level=["debug", "error"])) == 10
    with pytest.raises(InvalidArgumentError) as caught:
        view.logs.read(tail=-1)
    assert caught.value.code == "TRACKING_VALUE"
    with pytest.raises(InvalidArgumentError):
        view.logs.read(regex="(")


def test_log_sequence_recovers_after_a_lost_counter():
    with Run(prefix="alice/p/logs3").run as run:
        run.log("a")
        run.log("b")
    os.remove(os.path.join(run.dir, "logs", ".log_sequence"))
    with Run(prefix="alice/p/logs3").run as run:
        run.log("c")
    assert [r["sequenceNumber"] for r in run.logs.read()] == [0, 1, 2]
