"""`labrun.ml_dash`: seed 004's examples (ML-Dash's experiment guide) with only the import changed, in local,
remote and hybrid mode, against a real `labrun serve` for the last two."""

import json
import os

import pytest

from labrun.ml_dash import RUN, Experiment, ml_dash_experiment
from test_remote import Server, fast, points


def read_json(path):
    with open(path) as f:
        return json.load(f)


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_three_usage_styles_write_ml_dash_layout_under_dash_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.pth").write_bytes(b"weights")

    with Experiment(prefix="alice/project/ctx", tags=["baseline"], bindrs=["team-a"], readme="hello").run as exp:
        exp.log("Training started")
        exp.params.set(learning_rate=0.001)
        exp.metrics("train").log(loss=0.5, epoch=1)
        exp.files("models").save("model.pth")
        exp.files("configs").save_json({"lr": 0.001}, to="config.json")
        exp.files("notes").save_text("Hello, world!", to="greeting.txt")
        exp.files("data").save_blob(b"\x00\x01", to="model.bin")

    @ml_dash_experiment(prefix="alice/project/decorated")
    def train_model(experiment):
        experiment.params.set(learning_rate=0.001)
        for epoch in range(3):
            experiment.metrics("train").log(loss=1 / (epoch + 1), epoch=epoch)
        return "Training complete!"

    assert train_model() == "Training complete!"

    exp = Experiment(prefix="alice/project/direct")
    exp.run.start()
    try:
        exp.log("Training started")
    finally:
        exp.run.complete()

    root = tmp_path / ".dash" / "alice" / "project"
    ctx = root / "ctx"
    assert [r["message"] for r in lines(ctx / "logs" / "logs.jsonl")] == ["Training started"]
    assert read_json(ctx / "parameters.json")["data"] == {"learning_rate": 0.001}
    assert [p["data"]["loss"] for p in lines(ctx / "metrics" / "train" / "data.jsonl")] == [0.5]
    (model,) = list((ctx / "files" / "models").glob("*/model.pth"))
    assert model.read_bytes() == b"weights"
    assert json.loads(next((ctx / "files" / "configs").glob("*/config.json")).read_text()) == {"lr": 0.001}
    assert next((ctx / "files" / "notes").glob("*/greeting.txt")).read_text() == "Hello, world!"
    assert next((ctx / "files" / "data").glob("*/model.bin")).read_bytes() == b"\x00\x01"
    record = read_json(ctx / "experiment.json")
    assert record["status"] == "COMPLETED" and record["tags"] == ["baseline"] and record["bindrs"] == ["team-a"]
    assert len(lines(root / "decorated" / "metrics" / "train" / "data.jsonl")) == 3
    assert read_json(root / "direct" / "experiment.json")["status"] == "COMPLETED"


def test_an_exception_ends_the_experiment_failed_and_reaches_the_caller(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="Training failed!"):
        with Experiment(prefix="alice/ml/training").run as exp:
            exp.log("Training...")
            raise ValueError("Training failed!")
    record = read_json(tmp_path / ".dash" / "alice" / "ml" / "training" / "experiment.json")
    assert record["status"] == "FAILED"


def test_run_user_reads_ml_dash_user(monkeypatch):
    monkeypatch.delenv("LABRUN_USER", raising=False)
    monkeypatch.setenv("ML_DASH_USER", "carol")
    assert RUN.user == "carol"


def test_remote_and_hybrid_modes_reach_labrun_serve(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = Server(tmp_path / "server").start()
    try:
        with Experiment(prefix="alice/ml/remote", dash_url=server.url, dash_root=None, remote=fast(tmp_path)).run as exp:
            exp.params.set(lr=0.1)
            exp.metrics("train").log(loss=0.5, step=0)
            exp.files("configs").save_json({"a": 1}, to="c.json")
        assert not (tmp_path / ".dash").exists()

        with Experiment(prefix="alice/ml/hybrid", dash_url=server.url, dash_root=".dash", remote=fast(tmp_path)).run as exp:
            exp.metrics("train").log(loss=0.25, step=0)
        assert (tmp_path / ".dash" / "alice" / "ml" / "hybrid" / "metrics" / "train" / "data.jsonl").exists()

        client, remote = server.run("alice/ml/remote")
        assert remote["status"] == "COMPLETED"
        assert client.request("GET", f"/api/runs/{remote['id']}/params")["params"] == {"lr": 0.1}
        assert [p["loss"] for p in points(client, remote["id"], "train")] == [0.5]
        files = client.request("GET", f"/api/runs/{remote['id']}/files")["files"]
        assert [f["filename"] for f in files] == ["c.json"]
        client, hybrid = server.run("alice/ml/hybrid")
        assert hybrid["status"] == "COMPLETED"
        assert [p["loss"] for p in points(client, hybrid["id"], "train")] == [0.25]
    finally:
        server.kill("term")
