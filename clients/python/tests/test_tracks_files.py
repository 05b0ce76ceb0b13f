"""Tracks (time-stamped entries) and files (stored copies with sha256)."""

import hashlib
import os

import pytest

from conftest import read_json, read_lines
from labrun import ChecksumMismatchError, InvalidArgumentError, Run, RunFileNotFoundError


def test_tracks_merge_flatten_and_sort():
    with Run(prefix="alice/p/tracks").run as run:
        pos = run.tracks("robot/pos")
        pos.append(x=1.0, q=[1, 2], pose={"a": 1, "b": {"c": 2}}, _ts=2.0)
        pos.append(y=5.0, _ts=2.0)
        pos.append(x=0.5, _ts=1.0)
        run.tracks("camera/rgb").append(frame=0)
        run.tracks("camera/left").append(width=640, _ts=-1)
    lines = read_lines(os.path.join(run.dir, "tracks", "robot_pos", "data.jsonl"))
    assert lines == [
        {"timestamp": 1.0, "x": 0.5},
        {"timestamp": 2.0, "x": 1.0, "q": [1, 2], "pose.a": 1, "pose.b.c": 2, "y": 5.0},
    ]
    assert list(lines[1])[0] == "timestamp"
    meta = read_json(os.path.join(run.dir, "tracks", "robot_pos", "metadata.json"))
    assert meta["trackId"] == "local-track-robot_pos" and meta["topic"] == "robot/pos"
    assert meta["columns"] == ["pose.a", "pose.b.c", "q", "x", "y"]
    assert (meta["totalEntries"], meta["firstTimestamp"], meta["lastTimestamp"]) == (2, 1.0, 2.0)
    rgb = Run.open("alice/p/tracks").tracks("camera/rgb").read()
    left = Run.open("alice/p/tracks").tracks("camera/left").read()
    assert rgb[0]["timestamp"] == left[0]["timestamp"]
    assert [e["x"] for e in Run.open("alice/p/tracks").tracks("robot/pos").read(start=1.5)] == [1.0]
    assert sorted(Run.open("alice/p/tracks").tracks.topics()) == ["camera/left", "camera/rgb", "robot/pos"]


def test_files_save_path_and_bytes(tmp_path):
    src = tmp_path / "model.pt"
    src.write_bytes(b"weights" * 1000)
    with Run(prefix="alice/p/files").run as run:
        stored = run.files("models").save(str(src))
        assert os.path.isfile(stored) and stored.startswith(os.path.join(run.dir, "files", "models", ""))
        assert stored.filename == "model.pt" and stored.path == "/models"
        assert stored.checksum == hashlib.sha256(src.read_bytes()).hexdigest()
        assert stored.size == 7000
        assert os.path.relpath(stored, run.dir) == os.path.join("files", "models", stored.id, "model.pt")
        blob = run.files("models").save(b"\x00\x01", name="blob.bin")
        top = run.files().save({"a": 1}, name="config.json")
        deep = run.files("ckpt/best").save(src, to="epoch3.pt")
        run.files.save(b"x", "root.txt")
        run.files("notes").save_text("héllo", "n.txt")
    assert open(blob, "rb").read() == b"\x00\x01"
    assert os.path.relpath(top, run.dir) == os.path.join("files", top.id, "config.json")
    assert top.path == "/"
    assert deep.path == "/ckpt/best"
    doc = read_json(os.path.join(run.dir, "files", ".files_metadata.json"))
    first = doc["files"][0]
    assert set(first) == {
        "id", "experimentId", "path", "filename", "description", "tags", "bindrs", "contentType", "sizeBytes",
        "checksum", "metadata", "uploadedAt", "updatedAt", "deletedAt",
    }
    assert first["experimentId"] == "p/alice/p/files"
    assert first["contentType"] == "application/octet-stream" or "/" in first["contentType"]
    assert int(first["id"]) >> 12 > 1_600_000_000_000
    view = Run.open("alice/p/files")
    assert sorted(r["filename"] for r in view.files("models").list()) == ["blob.bin", "model.pt"]
    assert len(view.files().list()) == 6
    assert [r["filename"] for r in view.files().list("*.pt")] == ["model.pt", "epoch3.pt"]
    assert [r["filename"] for r in view.files("ckpt").list("best/*.pt")] == ["epoch3.pt"]
    assert view.files("models").exists("model.pt") and not view.files("models").exists("nope.pt")
    assert view.files("models/model.pt").exists()  # ML-Dash's spelling
    assert view.files("notes").read_text("n.txt") == "héllo"
    out = view.files("models").download("model.pt", to=str(tmp_path / "out" / "m.pt"))
    assert open(out, "rb").read() == src.read_bytes()
    out2 = view.files("ckpt/best").download("epoch3.pt", to=str(tmp_path))
    assert out2 == str(tmp_path / "epoch3.pt")
    with pytest.raises(RunFileNotFoundError) as caught:
        view.files("models").download("missing.pt", to=str(tmp_path / "x"))
    assert caught.value.code == "TRACKED_FILE_NOT_FOUND"


def test_saving_the_same_name_replaces_it(tmp_path):
    with Run(prefix="alice/p/replace").run as run:
        first = run.files("m").save(b"one", name="a.bin")
        second = run.files("m").save(b"two", name="a.bin")
    assert not os.path.exists(os.path.dirname(first))
    records = run.files("m").list()
    assert len(records) == 1 and records[0]["id"] == second.id
    assert run.files("m").read_bytes("a.bin") == b"two"


def test_delete_is_soft():
    with Run(prefix="alice/p/delete").run as run:
        stored = run.files("m").save(b"one", name="a.bin")
        record = run.files("m").delete("a.bin")
        assert record["deletedAt"]
        assert not run.files("m").exists("a.bin") and os.path.exists(stored)
        with pytest.raises(RunFileNotFoundError):
            run.files("m").delete("a.bin")


def test_download_checks_the_checksum(tmp_path):
    with Run(prefix="alice/p/sum").run as run:
        stored = run.files("m").save(b"good", name="a.bin")
    with open(stored, "wb") as f:
        f.write(b"evil")
    with pytest.raises(ChecksumMismatchError):
        Run.open("alice/p/sum").files("m").download("a.bin", to=str(tmp_path / "a.bin"))
    assert not (tmp_path / "a.bin").exists()


def test_save_needs_a_real_source(tmp_path):
    with Run(prefix="alice/p/src").run as run:
        with pytest.raises(InvalidArgumentError):
            run.files("m").save(str(tmp_path / "missing.pt"))
        with pytest.raises(InvalidArgumentError):
            run.files("m").save(b"no name")
        with pytest.raises(InvalidArgumentError):
            run.files("m").save(3.14, name="pi")


def test_symlinked_folder_cannot_lead_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    with Run(prefix="alice/p/link").run as run:
        os.symlink(str(outside), os.path.join(run.dir, "files", "evil"))
        with pytest.raises(Exception) as caught:
            run.files("evil").save(b"x", name="a.bin")
        assert getattr(caught.value, "code", None) == "INVALID_TRACKING_NAME"
    assert list(outside.iterdir()) == []
