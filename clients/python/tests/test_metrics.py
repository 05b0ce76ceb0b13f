"""Metric streams: points, batches, fan-out, summaries, NaN/Infinity, reading and downsampling, torn lines."""

import json
import math
import os
import time

import pytest

from conftest import read_json, read_lines
from labrun import InvalidArgumentError, Run


def test_log_writes_ml_dash_points():
    before = time.time()
    with Run(prefix="alice/p/m").run as run:
        stream = run.metrics("train")
        assert run.metrics("train") is stream
        stream.log(loss=0.5, epoch=1)
        stream.log({"loss": 0.4}, epoch=2)
        stream.log(loss=0.3, epoch=3, _ts=1234.5)
        stream.log(loss=0.2, epoch=4, _ts=-1)
    points = read_lines(os.path.join(run.dir, "metrics", "train", "data.jsonl"))
    assert [p["index"] for p in points] == [0, 1, 2, 3]
    assert points[0]["data"]["loss"] == 0.5 and points[0]["data"]["epoch"] == 1
    assert list(points[0]) == ["index", "data", "createdAt"]
    assert list(points[0]["data"])[-1] == "_ts"
    assert before <= points[0]["data"]["_ts"] <= time.time()
    assert points[2]["data"]["_ts"] == 1234.5 and points[3]["data"]["_ts"] == 1234.5
    meta = read_json(os.path.join(run.dir, "metrics", "train", "metadata.json"))
    assert meta["metricId"] == "local-metric-train" and meta["name"] == "train"
    assert (meta["totalDataPoints"], meta["nextIndex"]) == (4, 4)
    assert meta["tags"] == [] and meta["description"] is None


def test_stream_description_and_tags_reach_metadata():
    with Run(prefix="alice/p/mdesc").run as run:
        run.metrics("val", description="validation", tags=["eval"], metadata={"unit": "nats"}).log(loss=1)
    meta = read_json(os.path.join(run.dir, "metrics", "val", "metadata.json"))
    assert (meta["description"], meta["tags"], meta["metadata"]) == ("validation", ["eval"], {"unit": "nats"})


def test_ts_minus_one_without_previous_is_an_error():
    with Run(prefix="alice/p/ts").run as run:
        with pytest.raises(InvalidArgumentError):
            run.metrics("m").log(x=1, _ts=-1)
        with pytest.raises(InvalidArgumentError):
            run.metrics("m").log(x=1, _ts="soon")


def test_append_and_aliases():
    with Run(prefix="alice/p/batch").run as run:
        run.metrics("train").append([{"loss": 1.0, "step": 0}, {"loss": 0.9, "step": 1}])
        run.metrics("train").append_batch([{"loss": 0.8, "step": 2, "_ts": 5.0}])
        run.metrics("train").log_batch(({"loss": v, "step": 3 + i} for i, v in enumerate([0.7, 0.6])))
    points = run.metrics("train").read()
    assert [p["data"]["step"] for p in points] == [0, 1, 2, 3, 4]
    assert [p["index"] for p in points] == [0, 1, 2, 3, 4]
    assert points[2]["data"]["_ts"] == 5.0


def test_fan_out_like_ml_dash():
    with Run(prefix="alice/p/fan").run as run:
        run.metrics.log(epoch=1, train={"loss": 0.5, "acc": 0.8}, eval={"loss": 0.6})
        run.metrics.log(epoch=2, _ts=10.0)
    assert run.metrics.names() == [None, "eval", "train"]
    assert run.metrics("train").read()[0]["data"] == {"epoch": 1, "loss": 0.5, "acc": 0.8, "_ts": pytest.approx(run.metrics("train").read()[0]["data"]["_ts"])}
    ts = run.metrics("train").read()[0]["data"]["_ts"]
    assert run.metrics("eval").read()[0]["data"] == {"epoch": 1, "loss": 0.6, "_ts": ts}
    unnamed = read_lines(os.path.join(run.dir, "metrics", "None", "data.jsonl"))
    assert [p["data"] for p in unnamed] == [{"epoch": 1, "_ts": ts}, {"epoch": 2, "_ts": 10.0}]
    meta = read_json(os.path.join(run.dir, "metrics", "None", "metadata.json"))
    assert meta["name"] is None and meta["metricId"] == "local-metric-None"


def test_buffer_and_log_summary():
    with Run(prefix="alice/p/summary").run as run:
        for v in [1.0, 2.0, 3.0, 4.0, float("nan"), None]:
            run.metrics("train").buffer(loss=v, acc=0.5)
        run.metrics("val").buffer(loss=10)
        assert run.metrics.buffer.peek("train")["acc"] == [0.5] * 6
        run.metrics.buffer.log_summary("mean", "p95", "min", "max", "count", epoch=1)
        run.metrics("train").buffer(loss=7)
        run.metrics("train").log_summary("last", epoch=2)
        run.metrics.log_summary()  # nothing buffered: writes nothing
        with pytest.raises(InvalidArgumentError):
            run.metrics.buffer.log_summary("p42")
        with pytest.raises(Exception):
            run.metrics("train").buffer(loss="high")
    train = [p["data"] for p in run.metrics("train").read()]
    assert train[0]["epoch"] == 1
    assert train[0]["loss.mean"] == 2.5 and train[0]["loss.count"] == 4
    assert train[0]["loss.p95"] == pytest.approx(3.85)
    assert (train[0]["loss.min"], train[0]["loss.max"]) == (1.0, 4.0)
    assert train[0]["acc.mean"] == 0.5
    assert train[1] == {"epoch": 2, "loss.last": 7.0, "_ts": train[1]["_ts"]}
    val = [p["data"] for p in run.metrics("val").read()]
    assert val[0]["loss.mean"] == 10 and val[0]["epoch"] == 1


def test_nan_and_infinity_round_trip():
    with Run(prefix="alice/p/nan").run as run:
        run.metrics("train").log(loss=float("nan"), grad=float("inf"), low=float("-inf"), ok=1.0)
        run.log("bad step", loss=float("nan"))
    with open(os.path.join(run.dir, "metrics", "train", "data.jsonl")) as f:
        line = f.readline()
    assert '"loss":NaN' in line and '"grad":Infinity' in line and '"low":-Infinity' in line
    data = Run.open("alice/p/nan").metrics("train").read()[0]["data"]
    assert math.isnan(data["loss"]) and data["grad"] == math.inf and data["low"] == -math.inf
    assert math.isnan(Run.open("alice/p/nan").logs.read()[0]["metadata"]["loss"])


def test_read_range():
    with Run(prefix="alice/p/range").run as run:
        run.metrics("m").append([{"v": i} for i in range(100)])
    view = Run.open("alice/p/range")
    assert [p["index"] for p in view.metrics("m").read(from_=10, to=14)] == [10, 11, 12, 13, 14]
    assert [p["index"] for p in view.metrics("m").read(from_=95)] == [95, 96, 97, 98, 99]
    assert len(view.metrics("m").read(to=2)) == 3
    assert view.metrics("m").read(from_=10, to=14).total == 5
    # By a field instead of the index.
    assert [p["data"]["v"] for p in view.metrics("m").read(from_=20, to=22, by="v")] == [20, 21, 22]
    assert not view.metrics("m").read().downsampled
    assert view.metrics("missing").read() == []
    assert view.metrics("m").stats()["totalDataPoints"] == 100
    assert view.metrics("m").last()["data"]["v"] == 99


def test_downsampling_keeps_minima_and_maxima():
    values = [math.sin(i / 50.0) for i in range(10_000)]
    values[1234] = 50.0  # a spike
    values[8765] = -50.0  # a dip
    with Run(prefix="alice/p/down").run as run:
        run.metrics("m").append([{"v": v, "step": i} for i, v in enumerate(values)])
    read = Run.open("alice/p/down").metrics("m").read(max_points=200, fields=["v"])
    assert len(read) <= 200 and read.total == 10_000
    got = {p["index"]: p["data"]["v"] for p in read}
    assert got[1234] == 50.0 and got[8765] == -50.0
    assert 0 in got and 9_999 in got
    indices = [p["index"] for p in read]
    assert indices == sorted(indices)
    # Spread over the whole range.
    assert max(b - a for a, b in zip(indices, indices[1:])) < 10_000 / 20
    # All fields considered by default, still within max_points.
    read_all = Run.open("alice/p/down").metrics("m").read(max_points=100)
    assert len(read_all) <= 100 and {1234, 8765} <= {p["index"] for p in read_all}
    # A range inside the stream, and short ranges come back whole.
    part = Run.open("alice/p/down").metrics("m").read(from_=1000, to=1999, max_points=50, fields=["v"])
    assert len(part) <= 50 and all(1000 <= p["index"] < 2000 for p in part) and 1234 in {p["index"] for p in part}
    assert part.downsampled and part.total == 1000
    short = Run.open("alice/p/down").metrics("m").read(from_=0, to=29, max_points=50)
    assert len(short) == 30 and not short.downsampled
    by_step = Run.open("alice/p/down").metrics("m").read(from_=8000, to=9000, by="step", max_points=40, fields=["v"])
    assert len(by_step) <= 40 and 8765 in {p["index"] for p in by_step}


def test_downsampling_ignores_nan_and_text():
    with Run(prefix="alice/p/down2").run as run:
        run.metrics("m").append([{"v": float("nan") if i % 3 else i, "tag": "x"} for i in range(1000)])
    read = Run.open("alice/p/down2").metrics("m").read(max_points=10)
    assert 0 < len(read) <= 10


def test_torn_last_line_is_skipped_reported_and_repaired(root):
    with Run(prefix="alice/p/torn").run as run:
        run.metrics("m").append([{"v": i} for i in range(3)])
        run.log("one")
    data = os.path.join(run.dir, "metrics", "m", "data.jsonl")
    logs = os.path.join(run.dir, "logs", "logs.jsonl")
    for path in (data, logs):
        with open(path, "ab") as f:
            f.write(b'{"index": 3, "data": {"v"')
    view = Run.open("alice/p/torn")
    read = view.metrics("m").read()
    assert [p["data"]["v"] for p in read] == [0, 1, 2] and read.torn
    assert view.logs.read().torn
    # Resuming cuts the torn tail before appending, so no line is glued onto it.
    with Run(prefix="alice/p/torn").run as run:
        run.metrics("m").log(v=3)
        run.log("two")
    points = read_lines(data)
    assert [p["index"] for p in points] == [0, 1, 2, 3]
    assert [r["sequenceNumber"] for r in read_lines(logs)] == [0, 1]
    assert not Run.open("alice/p/torn").metrics("m").read().torn


def test_bad_complete_line_is_counted_as_skipped():
    with Run(prefix="alice/p/skip").run as run:
        run.metrics("m").log(v=1)
    path = os.path.join(run.dir, "metrics", "m", "data.jsonl")
    with open(path, "ab") as f:
        f.write(b"garbage\n")
    read = Run.open("alice/p/skip").metrics("m").read()
    assert len(read) == 1 and read.skipped == 1 and not read.torn


def test_index_recovers_when_metadata_is_behind():
    with Run(prefix="alice/p/lag").run as run:
        run.metrics("m").append([{"v": i} for i in range(5)])
    meta_path = os.path.join(run.dir, "metrics", "m", "metadata.json")
    meta = read_json(meta_path)
    meta["nextIndex"] = 2  # as if killed between the append and the metadata rewrite
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    with Run(prefix="alice/p/lag").run as run:
        run.metrics("m").log(v=5)
    assert [p["index"] for p in read_lines(os.path.join(run.dir, "metrics", "m", "data.jsonl"))] == list(range(6))
    assert read_json(meta_path)["nextIndex"] == 6
