"""Services declared in Python (experimaestro's ``Service``/``WebService``): what the plan carries, the errors
raised before anything is launched, and the service runner process the engine starts."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import urllib.request

import pytest

import labrun as run
from labrun.errors import ExperimentStateError, InvalidTaskError
from labrun.experiments import JobFilesService, Service, WebService

from conftest import child_env


class Board(Service):
    id = "board"

    def __init__(self, logdir, port=0, tags=None):
        super().__init__()
        self.logdir, self.port, self.tags = logdir, port, tags


def step(x):
    return x


def test_a_plan_without_services_stays_version_1():
    exp = run.Experiment("plain")
    exp.add(run.Partial(step, x=1), name="s")
    plan = exp.to_config()
    assert plan["labrunPlan"] == 1
    assert "services" not in plan


def test_a_service_goes_into_a_version_2_plan_with_its_constructor_arguments():
    exp = run.Experiment("svc")
    board = Board(pathlib.Path("/tmp/logs"), port=8080)
    assert exp.add_service(board) is board
    exp.add_service(JobFilesService(port=0))
    assert exp.services == {"board": board, "job-files": exp.services["job-files"]}
    plan = exp.to_config()
    assert plan["labrunPlan"] == 2
    board_spec, files_spec = plan["services"]
    assert board_spec["kind"] == "python"
    assert board_spec["id"] == "board"
    assert board_spec["module"] == __name__
    assert board_spec["qualname"] == "Board"
    # positional arguments are named; paths become strings
    assert board_spec["state"] == {"logdir": "/tmp/logs", "port": 8080}
    assert files_spec == {"kind": "job-files", "id": "job-files", "port": 0}


def test_state_dict_can_be_overridden():
    class_body = Board("/x")
    class_body.state_dict = lambda: {"logdir": "/y"}
    exp = run.Experiment("svc")
    exp.add_service(class_body)
    assert exp.to_config()["services"][0]["state"] == {"logdir": "/y"}


def test_bad_services_are_refused_before_anything_is_launched():
    exp = run.Experiment("svc")

    class Local(Service):
        id = "local"

    with pytest.raises(InvalidTaskError, match="inside another function"):
        exp.add_service(Local())
    with pytest.raises(InvalidTaskError, match=r"the state of service board\.tags is a set"):
        exp.add_service(Board("/x", tags={"a"}))
    with pytest.raises(InvalidTaskError, match="takes a labrun.services.Service"):
        exp.add_service(object())
    nameless = Board("/x")
    nameless.id = ""
    with pytest.raises(InvalidTaskError, match="has no id"):
        exp.add_service(nameless)
    exp.add_service(Board("/x"))
    with pytest.raises(ExperimentStateError, match='"board" was already added'):
        exp.add_service(Board("/z"))
    exp.add(run.Partial(step, x=1), name="s")
    with pytest.raises(ExperimentStateError, match="detach"):
        exp.run(detach=True)
    assert exp.id is None  # nothing was launched


def test_reset_keeps_the_services():
    exp = run.Experiment("svc")
    exp.add_service(Board("/x"))
    assert [s["id"] for s in exp.reset().to_config()["services"]] == ["board"]


SERVICE_MODULE = """
import http.server
from labrun.services import WebService

class Echo(WebService):
    id = "echo"
    def __init__(self, word, stopped_file):
        super().__init__()
        self.word, self.stopped_file = word, stopped_file
    def description(self):
        return "echoes " + self.word
    def _serve(self, running):
        word = self.word
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(word.encode())
            def log_message(self, *args):
                pass
        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self.server.server_port
        print("this goes to stderr, not to the engine's channel")
        running.set()
        self.server.serve_forever()
    def close(self):
        open(self.stopped_file, "w").write("stopped")
        self.server.shutdown()

class Failing(WebService):
    id = "failing"
    def _serve(self, running):
        raise OSError("address already in use")
"""


def _runner(tmp_path):
    (tmp_path / "echo_service.py").write_text(textwrap.dedent(SERVICE_MODULE))
    env = child_env({"PYTHONPATH": f"{tmp_path}{os.pathsep}{child_env()['PYTHONPATH']}"})
    return subprocess.Popen(
        [sys.executable, "-m", "labrun._service_runner"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_runner_rebuilds_starts_reports_and_stops_a_web_service(tmp_path):
    stopped = tmp_path / "stopped.txt"
    proc = _runner(tmp_path)
    spec = {"labrunService": 1, "module": "echo_service", "qualname": "Echo", "state": {"word": "ping", "stopped_file": str(stopped)}}
    proc.stdin.write(json.dumps(spec) + "\n")
    proc.stdin.flush()
    running = json.loads(proc.stdout.readline())
    assert running["event"] == "running"
    assert running["description"] == "echoes ping"
    with urllib.request.urlopen(running["url"], timeout=10) as answer:
        assert answer.read() == b"ping"
    proc.stdin.close()  # what the engine does to stop it (and what happens when the engine dies)
    assert json.loads(proc.stdout.readline()) == {"event": "stopped"}
    assert proc.wait(timeout=30) == 0
    assert stopped.read_text() == "stopped"
    assert "this goes to stderr" in proc.stderr.read()


def test_the_runner_reports_a_failed_start(tmp_path):
    proc = _runner(tmp_path)
    out, err = proc.communicate(
        json.dumps({"labrunService": 1, "module": "echo_service", "qualname": "Failing", "state": {}}) + "\n",
        timeout=30,
    )
    assert proc.returncode == 1
    assert json.loads(out.strip()) == {"event": "error", "message": "OSError: address already in use"}
    assert "Traceback" in err
