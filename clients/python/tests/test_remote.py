"""Remote mode of the Python client against a real `labrun serve` (started by the fixtures below)."""

import json
import math
import os
import shutil
import socket
import subprocess
import time

import pytest

import labrun
from labrun._remote_http import HttpClient, unwire_fields

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.join(REPO, "bin", "labrun.js")

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not os.path.exists(os.path.join(REPO, "dist", "cli", "main.js")),
    reason="needs node and a built labrun (npm run build) to start `labrun serve`",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workspace, port=None, auth=False):
        self.workspace = str(workspace)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.auth = auth
        self.proc = None

    def env(self):
        return {**os.environ, "LABRUN_HOME": self.workspace, "NO_COLOR": "1"}

    def start(self):
        args = ["node", BIN, "serve", "--port", str(self.port), "--workspace", self.workspace]
        if not self.auth:
            args.append("--no-auth")
        os.makedirs(self.workspace, exist_ok=True)
        log = open(os.path.join(self.workspace, f"serve-{self.port}.log"), "ab")
        self.proc = subprocess.Popen(args, cwd=REPO, env=self.env(), stdout=log, stderr=log)
        log.close()
        client = HttpClient(self.url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"labrun serve exited ({self.proc.returncode}): {self.output()}")
            try:
                client.request("GET", "/api/health", timeout=1)
                return self
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(f"labrun serve did not answer in 60 s: {self.output()}")

    def output(self):
        try:
            with open(os.path.join(self.workspace, f"serve-{self.port}.log"), "r", errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def kill(self, sig="kill"):
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if sig == "kill" else self.proc.terminate()
            self.proc.wait(timeout=30)

    def token(self, project):
        out = subprocess.run(
            ["node", BIN, "token", "create", "--project", project, "--workspace", self.workspace],
            cwd=REPO, env=self.env(), capture_output=True, text=True, check=True,
        )
        return out.stdout.splitlines()[0].strip()

    def run(self, prefix, token=None):
        client = HttpClient(self.url, token)
        return client, client.request("GET", "/api/runs/by-prefix", query={"prefix": prefix})["run"]


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "server").start()
    yield s
    s.kill("term")


def fast(tmp_path, **extra):
    return {"buffer_dir": str(tmp_path / "buffer"), "retry_delay": 0.05, "max_retry_delay": 0.2, "quiet": True, **extra}


def buffer_files(tmp_path, prefix):
    d = os.path.join(str(tmp_path / "buffer"), *prefix.split("/"))
    return sorted(f for f in os.listdir(d) if f.endswith(".json") and f != "remote-status.json") if os.path.isdir(d) else []


def points(client, run_id, stream):
    series = client.request("GET", f"/api/runs/{run_id}/metrics/{stream}")
    return [unwire_fields(p["fields"]) for p in series["points"]]


def test_round_trip_without_local_files(server, tmp_path):
    with labrun.Run(prefix="alice/vision/py", dash_url=server.url, tags=["t"], description="d", remote=fast(tmp_path)) as run:
        run.params.set(lr=0.1, model={"depth": 3})
        for i in range(300):
            run.metrics("train").log(step=i, loss=1 / (i + 1))
        run.metrics("eval").log(a=math.nan, b=math.inf, c=-math.inf)
        run.log("hello", level="warn", epoch=1)
        run.files("models").save(b"abc", name="m.bin")
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(3 * 1024 * 1024))
        run.files("ckpt").save(str(big))
        assert run.params.get() == {"lr": 0.1, "model.depth": 3}
    assert not os.path.exists(run.dir)
    status = run.remote_status()
    assert status["state"] == "closed" and status["pending"] == 0 and status["errors"] == 0
    assert status["uploadedFiles"] == 2
    client, stored = server.run("alice/vision/py")
    assert stored["status"] == "COMPLETED" and stored["tags"] == ["t"] and stored["description"] == "d"
    assert client.request("GET", f"/api/runs/{stored['id']}/params")["params"] == {"lr": 0.1, "model.depth": 3}
    assert [p["step"] for p in points(client, stored["id"], "train")] == list(range(300))
    ev = points(client, stored["id"], "eval")[0]
    assert math.isnan(ev["a"]) and ev["b"] == math.inf and ev["c"] == -math.inf
    logs = client.request("GET", f"/api/runs/{stored['id']}/logs")["logs"]
    assert [(l["level"], l["message"], l.get("metadata")) for l in logs] == [("warn", "hello", {"epoch": 1})]
    files = client.request("GET", f"/api/runs/{stored['id']}/files")["files"]
    assert sorted((f["prefix"], f["filename"], f["size"]) for f in files) == [("ckpt", "big.bin", 3 * 1024 * 1024), ("models", "m.bin", 3)]
    stored_big = next(f for f in files if f["filename"] == "big.bin")
    assert client.request("GET", f"/api/runs/{stored['id']}/files/{stored_big['id']}") == big.read_bytes()
    assert buffer_files(tmp_path, "alice/vision/py") == []


def test_failure_is_recorded_and_local_true_writes_both(server, tmp_path, root):
    with pytest.raises(RuntimeError):
        with labrun.Run(prefix="alice/vision/both", dash_url=server.url, local=True, remote=fast(tmp_path)) as run:
            run.metrics("train").log(loss=1.0)
            run.files("m").save(b"first", name="a.txt")
            run.files("m").save(b"second", name="a.txt")  # replaces the first local copy before its upload
            raise RuntimeError("diverged")
    assert labrun.Run.open("alice/vision/both").status == "FAILED"
    client, stored = server.run("alice/vision/both")
    assert stored["status"] == "FAILED" and "diverged" in stored["error"]
    assert len(points(client, stored["id"], "train")) == 1
    files = client.request("GET", f"/api/runs/{stored['id']}/files")["files"]
    assert [f["filename"] for f in files] == ["a.txt"]
    assert client.request("GET", f"/api/runs/{stored['id']}/files/{files[0]['id']}") == b"second"
    assert labrun.Run.open("alice/vision/both").files("m").exists("a.txt")


def test_server_down_at_start_then_up(tmp_path, monkeypatch):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LABRUN_URL", url)
    run = labrun.Run(prefix="alice/vision/late", flush_interval=0.02, remote=fast(tmp_path, close_timeout=60))
    run.start()
    calls = 0
    for i in range(1000):
        run.metrics("train").log(step=i)
        calls += 1
        if i % 100 == 0:
            run.log(f"step {i}")
            time.sleep(0.03)
    assert calls == 1000
    time.sleep(0.3)
    status = run.remote_status()
    assert status["state"] == "retrying" and status["acknowledgedBatches"] == 0
    assert status["retries"] > 0 and status["lastError"]["code"] == "SERVER_UNREACHABLE"
    assert len(buffer_files(tmp_path, "alice/vision/late")) == status["pending"] > 1
    server = Server(tmp_path / "server", port=port).start()
    try:
        run.complete()
        assert run.remote_status()["pending"] == 0
        client, stored = server.run("alice/vision/late")
        assert stored["status"] == "COMPLETED"
        assert [p["step"] for p in points(client, stored["id"], "train")] == list(range(1000))
        assert len(client.request("GET", f"/api/runs/{stored['id']}/logs")["logs"]) == 10
        assert buffer_files(tmp_path, "alice/vision/late") == []
    finally:
        server.kill("term")


def test_sigkill_mid_logging_no_loss_no_duplicates(tmp_path):
    server = Server(tmp_path / "server").start()
    try:
        run = labrun.Run(prefix="alice/vision/killed", dash_url=server.url, flush_interval=0.02, flush_size=50,
                         remote=fast(tmp_path, close_timeout=60))
        run.start()
        for i in range(2000):
            run.metrics("train").log(step=i)
            if i % 50 == 0:
                time.sleep(0.005)
            if i == 700:
                server.kill()
            if i == 1400:
                server.start()
        run.complete()
        status = run.remote_status()
        assert status["pending"] == 0 and status["rejected"] == 0 and status["retries"] > 0
        client, stored = server.run("alice/vision/killed")
        assert [p["step"] for p in points(client, stored["id"], "train")] == list(range(2000))
    finally:
        server.kill("term")


def test_bounded_close_then_labrun_sync(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    run = labrun.Run(prefix="alice/vision/offline", dash_url=url, remote=fast(tmp_path, close_timeout=0.3))
    run.start()
    run.params.set(lr=0.5)
    for i in range(50):
        run.metrics("train").log(step=i)
    started = time.monotonic()
    run.complete()
    assert run.status == "COMPLETED"
    left = run.remote_status()["pending"]
    assert left > 0 and len(buffer_files(tmp_path, "alice/vision/offline")) == left
    env = {**os.environ, "LABRUN_HOME": str(tmp_path), "NO_COLOR": "1"}
    shown = subprocess.run(["node", BIN, "runs", "show", "alice/vision/offline"], cwd=REPO, env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert f"remote {url}: closed, 0 batch(es) acknowledged, {left} pending" in shown.stdout
    server = Server(tmp_path / "server", port=port).start()
    try:
        for _ in range(2):  # twice: nothing is stored twice
            out = subprocess.run(["node", BIN, "sync", "--url", url, "--no-runs"], cwd=REPO, env=env, capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
        assert buffer_files(tmp_path, "alice/vision/offline") == []
        client, stored = server.run("alice/vision/offline")
        assert stored["status"] == "COMPLETED"
        assert client.request("GET", f"/api/runs/{stored['id']}/params")["params"] == {"lr": 0.5}
        assert [p["step"] for p in points(client, stored["id"], "train")] == list(range(50))
    finally:
        server.kill("term")
    assert time.monotonic() - started < 600  # sanity only: the wait is bounded by close_timeout


def test_tokens(tmp_path):
    server = Server(tmp_path / "server", auth=True)
    good = server.token("vision")
    server.start()
    try:
        with labrun.Run(prefix="alice/vision/tok", dash_url=server.url, token=good, remote=fast(tmp_path)) as run:
            run.metrics("train").log(step=1)
        client, stored = server.run("alice/vision/tok", good)
        assert stored["status"] == "COMPLETED"
        bad = labrun.Run(prefix="alice/vision/bad", dash_url=server.url, token="lrt_wrong", remote=fast(tmp_path, close_timeout=2))
        bad.start()
        bad.metrics("train").log(step=1)  # never raises into the program
        bad.complete()
        status = bad.remote_status()
        assert status["lastError"]["code"] == "UNAUTHORIZED"
        assert status["pending"] > 0 and buffer_files(tmp_path, "alice/vision/bad")
    finally:
        server.kill("term")


def test_bad_url_and_options_fail_at_the_call():
    with pytest.raises(labrun.InvalidArgumentError):
        labrun.Run(prefix="a/b/c", dash_url="ftp://x")
    with pytest.raises(labrun.InvalidArgumentError):
        labrun.Run(prefix="a/b/c", dash_url="http://127.0.0.1:1", remote={"nope": 1})


def test_program_ending_with_the_run_open_sends_everything(server, tmp_path):
    from conftest import run_child

    code, out, err = run_child(
        """
        import labrun
        run = labrun.Run(prefix="alice/scripts/py-normal", remote={"close_timeout": 20})
        run.start()
        for i in range(300):
            run.metrics("train").log(step=i)
        run.log("last words")
        """,
        {"LABRUN_URL": server.url, "LABRUN_HOME": str(tmp_path)},
    )
    assert code == 0, err
    client, stored = server.run("alice/scripts/py-normal")
    assert stored["status"] == "COMPLETED"
    assert [p["step"] for p in points(client, stored["id"], "train")] == list(range(300))
    assert len(client.request("GET", f"/api/runs/{stored['id']}/logs")["logs"]) == 1


def test_attached_writer_leaves_a_finished_run_finished(server, tmp_path):
    with labrun.Run(prefix="alice/vision/py-attached", dash_url=server.url, remote=fast(tmp_path)) as run:
        run.metrics("train").log(step=0)
    guest = labrun.Run(prefix="alice/vision/py-attached", dash_url=server.url, attach=True, remote=fast(tmp_path))
    guest.start()
    guest.metrics("train").log(step=1)
    guest.complete()
    client, stored = server.run("alice/vision/py-attached")
    assert stored["status"] == "COMPLETED"
    assert [p["step"] for p in points(client, stored["id"], "train")] == [0, 1]
