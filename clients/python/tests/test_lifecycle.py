"""Status lifecycle, the three usage styles, resume, ownership, heartbeat and dead writers."""

import os
import signal
import socket
import time

import pytest

from conftest import read_json, read_lines, run_child, spawn
from labrun import Run, RunBusyError, RunStateError, tracked
from labrun import _process


def test_context_manager_completes(root):
    with Run(prefix="alice/vision/resnet", description="d", tags=["a"], bindrs=["gpu"]).run as run:
        assert run.status == "RUNNING"
        info = run.info()
        assert info["pid"] == os.getpid() and info["host"] == socket.gethostname()
        assert info["endedAt"] is None and info["heartbeatAt"]
        run.log("hi")
    info = read_json(os.path.join(run.dir, "experiment.json"))
    assert info["status"] == "COMPLETED"
    assert info["labrunFormat"] == 1
    assert info["endedAt"] and info["error"] is None and info["statusReason"] is None
    assert (info["description"], info["tags"], info["bindrs"]) == ("d", ["a"], ["gpu"])
    assert info["write_protected"] is False and info["metadata"] is None
    assert info["created_at"].endswith("Z")


def test_exception_fails_with_error_recorded():
    with pytest.raises(ValueError):
        with Run(prefix="alice/p/fail").run as run:
            run.metrics("train").log(loss=1.0)
            raise ValueError("diverged")
    info = run.info()
    assert info["status"] == "FAILED"
    assert info["error"]["name"] == "ValueError"
    assert info["error"]["message"] == "diverged"
    assert "Traceback" in info["error"]["stack"]
    assert info["statusReason"] == "ValueError: diverged"
    # Buffered data was flushed before the status.
    assert len(run.metrics("train").read()) == 1


def test_keyboard_interrupt_cancels():
    with pytest.raises(KeyboardInterrupt):
        with Run(prefix="alice/p/ctrlc") as run:
            raise KeyboardInterrupt
    assert run.info()["status"] == "CANCELLED"
    assert run.info()["statusReason"] == "SIGINT"


def test_system_exit_codes():
    with pytest.raises(SystemExit):
        with Run(prefix="alice/p/exit3") as run:
            raise SystemExit(3)
    assert (run.info()["status"], run.info()["statusReason"]) == ("FAILED", "exit code 3")
    with pytest.raises(SystemExit):
        with Run(prefix="alice/p/exit0") as run:
            raise SystemExit(0)
    assert run.info()["status"] == "COMPLETED"


def test_direct_style():
    run = Run(prefix="alice/p/direct")
    run.start()
    run.metrics("train").log(loss=0.1)
    run.complete()
    assert run.status == "COMPLETED"
    run2 = Run(prefix="alice/p/direct2").start()
    run2.fail("out of memory")
    assert run2.info()["status"] == "FAILED"
    assert run2.info()["error"]["message"] == "out of memory"
    run3 = Run(prefix="alice/p/direct3")
    run3.run.start()
    run3.run.cancel("user asked")
    assert (run3.status, run3.status_reason) == ("CANCELLED", "user asked")
    run3.complete()  # closing twice does nothing
    assert run3.status == "CANCELLED"


def test_ml_dash_run_handle_as_decorator():
    handle = Run(prefix="alice/p/handle").run

    @handle
    def train(run, lr):
        run.params.set(lr=lr)
        return "done"

    assert train(0.1) == "done"
    view = Run.open("alice/p/handle")
    assert view.status == "COMPLETED" and view.params.get() == {"lr": 0.1}


def test_tracked_decorator():
    @tracked(prefix="alice/p/tracked", tags=["t"])
    def train(lr, run):
        run.params.set(lr=lr)
        run.metrics("train").log(loss=lr * 2)
        return lr

    assert train(0.5) == 0.5
    view = Run.open("alice/p/tracked")
    assert view.status == "COMPLETED" and view.tags == ["t"]
    assert view.metrics("train").read()[0]["data"]["loss"] == 1.0

    @tracked(prefix="alice/p/tracked-fail")
    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        boom()
    assert Run.open("alice/p/tracked-fail").status == "FAILED"


def test_resume_appends_and_continues_indices():
    with Run(prefix="alice/p/resume", tags=["first"]).run as run:
        run.log("one")
        run.metrics("train").log(loss=0.5, epoch=1)
        run.params.set(lr=0.1)
    created = run.info()["created_at"]
    with Run(prefix="alice/p/resume").run as run:
        run.log("two")
        run.metrics("train").log(loss=0.3, epoch=2)
        run.params.set(batch=32)
    info = run.info()
    assert info["created_at"] == created and info["updated_at"]
    assert info["tags"] == ["first"]  # not given again: kept
    assert [p["index"] for p in run.metrics("train").read()] == [0, 1]
    assert [r["sequenceNumber"] for r in run.logs.read()] == [0, 1]
    assert run.params.get() == {"lr": 0.1, "batch": 32}
    assert read_json(os.path.join(run.dir, "parameters.json"))["version"] == 2


def test_unknown_fields_in_experiment_json_are_kept():
    with Run(prefix="alice/p/keep").run as run:
        pass
    path = os.path.join(run.dir, "experiment.json")
    doc = read_json(path)
    doc["someOtherTool"] = {"x": 1}
    with open(path, "w") as f:
        import json

        json.dump(doc, f)
    with Run(prefix="alice/p/keep").run:
        pass
    assert read_json(path)["someOtherTool"] == {"x": 1}


def test_open_while_a_live_process_owns_it_is_busy_and_attach_is_allowed(root):
    child = spawn(
        """
        import sys, time
        from labrun import Run
        run = Run(prefix="alice/p/busy").start()
        print("ready", flush=True)
        sys.stdin.readline()
        run.complete()
        """,
        stdin=__import__("subprocess").PIPE,
    )
    assert child.stdout.readline().strip() == "ready"
    try:
        with pytest.raises(RunBusyError) as caught:
            Run(prefix="alice/p/busy").start()
        assert caught.value.code == "RUN_BUSY"
        attached = Run(prefix="alice/p/busy", attach=True).start()
        attached.metrics("extra").log(x=1)
        attached.complete()
        info = Run.open("alice/p/busy").info()
        assert info["status"] == "RUNNING" and info["pid"] == child.pid
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=30)
    view = Run.open("alice/p/busy")
    assert view.status == "COMPLETED"
    assert len(view.metrics("extra").read()) == 1


def test_sigkilled_writer_is_reported_dead_and_can_be_resumed():
    child = spawn(
        """
        import time
        from labrun import Run
        run = Run(prefix="alice/p/dead").start()
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    assert child.stdout.readline().strip() == "ready"
    view = Run.open("alice/p/dead")
    assert view.status == "RUNNING"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert view.recorded_status == "RUNNING"
    assert (view.status, view.died, view.status_reason) == ("FAILED", True, "process died")
    assert Run.list(status="FAILED")[0].prefix == "alice/p/dead"
    # Resume as owner: no longer busy.
    with Run(prefix="alice/p/dead").run as run:
        assert run.status == "RUNNING"
    assert run.status == "COMPLETED" and not run.died


def test_other_host_without_heartbeat_is_dead(root):
    with Run(prefix="alice/p/remote").run as run:
        pass
    path = os.path.join(run.dir, "experiment.json")
    doc = read_json(path)
    doc.update(status="RUNNING", host="some-other-host", pid=1, heartbeatIntervalSec=15,
               heartbeatAt="2020-01-01T00:00:00.000Z")
    import json

    with open(path, "w") as f:
        json.dump(doc, f)
    view = Run.open("alice/p/remote")
    assert view.status == "FAILED" and view.died
    assert view.status_reason == "no heartbeat since 2020-01-01T00:00:00.000Z"
    # A fresh heartbeat from the other host: still running, and busy for a new owner.
    doc["heartbeatAt"] = __import__("labrun._jsonio", fromlist=["x"]).utc_now_iso()
    with open(path, "w") as f:
        json.dump(doc, f)
    assert view.status == "RUNNING"
    with pytest.raises(RunBusyError):
        Run(prefix="alice/p/remote").start()


def test_reused_pid_is_not_the_owner():
    info = {"status": "RUNNING", "host": socket.gethostname(), "pid": os.getpid(), "processStart": "1"}
    if _process.process_start(os.getpid()) is None:
        pytest.skip("no /proc on this system")
    assert _process.derive_status(info)[:2] == ("FAILED", True)


def test_heartbeat_is_refreshed():
    run = Run(prefix="alice/p/beat", heartbeat_interval=0.2, flush_interval=0.05).start()
    first = run.info()["heartbeatAt"]
    assert run.info()["heartbeatIntervalSec"] == 0.2
    deadline = time.time() + 5
    while run.info()["heartbeatAt"] == first and time.time() < deadline:
        time.sleep(0.05)
    assert run.info()["heartbeatAt"] != first
    run.complete()


def test_current_binds_to_the_launched_jobs_folder(tmp_path, monkeypatch):
    job_run = tmp_path / "jobs" / "train" / "abc123" / "run"
    monkeypatch.setenv("LABRUN_RUN_DIR", str(job_run))
    monkeypatch.setenv("LABRUN_RUN_PREFIX", "alice/exp/20261123/train")
    run = Run.current()
    assert Run.current() is run
    assert run.dir == str(job_run) and run.prefix == "alice/exp/20261123/train"
    run.metrics("train").log(loss=1)
    run.complete()
    assert read_json(str(job_run / "experiment.json"))["name"] == "train"
    assert len(read_lines(str(job_run / "metrics" / "train" / "data.jsonl"))) == 1
    # Nothing under the default root.
    assert not os.path.exists(os.environ["LABRUN_RUNS"])
    # Run() without a prefix binds to the same folder too.
    with Run().run as again:
        assert again.dir == str(job_run)


def test_current_attaches_when_the_launcher_owns_the_run(tmp_path, monkeypatch):
    job_run = tmp_path / "job" / "run"
    child = spawn(
        f"""
        import sys
        from labrun import Run
        run = Run(prefix="alice/exp/1/job", dir={str(job_run)!r}).start()
        run.params.set(lr=0.1)
        print("ready", flush=True)
        sys.stdin.readline()
        run.complete()
        """,
        stdin=__import__("subprocess").PIPE,
    )
    assert child.stdout.readline().strip() == "ready"
    try:
        monkeypatch.setenv("LABRUN_RUN_DIR", str(job_run))
        monkeypatch.setenv("LABRUN_RUN_PREFIX", "alice/exp/1/job")
        run = Run.current()
        assert run.attached
        assert run.params.get() == {"lr": 0.1}
        run.metrics("m").log(x=1)
        run.complete()
        assert Run.open(dir=str(job_run)).info()["pid"] == child.pid
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=30)


def test_exit_without_complete_marks_completed_and_uncaught_exception_failed():
    code, _, err = run_child(
        """
        from labrun import Run
        run = Run(prefix="alice/p/atexit").start()
        run.metrics("m").log(x=1)
        """
    )
    assert code == 0, err
    view = Run.open("alice/p/atexit")
    assert view.status == "COMPLETED" and len(view.metrics("m").read()) == 1
    code, _, err = run_child(
        """
        from labrun import Run
        run = Run(prefix="alice/p/uncaught").start()
        run.log("before")
        raise RuntimeError("kaboom")
        """
    )
    assert code == 1 and "kaboom" in err
    view = Run.open("alice/p/uncaught")
    assert view.status == "FAILED" and view.error["message"] == "kaboom"
    assert [r["message"] for r in view.logs.read()] == ["before"]


def test_one_run_object_per_folder_in_a_process():
    first = Run(prefix="alice/p/twice").start()
    with pytest.raises(RunStateError):
        Run(prefix="alice/p/twice").start()
    first.complete()
    with Run(prefix="alice/p/twice").run:
        pass


def test_current_without_a_prefix_uses_the_recorded_one(tmp_path, monkeypatch):
    job_run = tmp_path / "job" / "run"
    with Run(prefix="alice/exp/7/job", dir=str(job_run)).run:
        pass
    monkeypatch.setenv("LABRUN_RUN_DIR", str(job_run))
    assert Run.current().prefix == "alice/exp/7/job"
    Run.current().complete()
    monkeypatch.setenv("LABRUN_USER", "zed")
    monkeypatch.setenv("LABRUN_RUN_DIR", str(tmp_path / "fresh"))
    assert Run.current().prefix == "zed/jobs/run"
    Run.current().complete()


def test_list_filters(root):
    with Run(prefix="alice/a/one", tags=["x"]).run:
        pass
    with pytest.raises(ValueError):
        with Run(prefix="alice/a/two").run:
            raise ValueError
    with Run(prefix="bob/b/three", tags=["x"]).run:
        pass
    assert [v.prefix for v in Run.list()] == ["alice/a/one", "alice/a/two", "bob/b/three"]
    assert [v.prefix for v in Run.list(prefix="alice")] == ["alice/a/one", "alice/a/two"]
    assert [v.prefix for v in Run.list(tag="x")] == ["alice/a/one", "bob/b/three"]
    assert [v.prefix for v in Run.list(status="failed")] == ["alice/a/two"]
    assert Run.list(prefix="ali") == []


def test_a_forked_child_exiting_does_not_end_the_parents_run():
    code, out, err = run_child(
        """
        import os, sys
        from labrun import Run
        run = Run(prefix="alice/p/fork").start()
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # runs atexit in the child
        os.waitpid(pid, 0)
        print(Run.open("alice/p/fork").info()["status"], flush=True)
        run.metrics("m").log(x=1)
        run.complete()
        """
    )
    assert code == 0, err
    assert out.split() == ["RUNNING"]
    assert Run.open("alice/p/fork").status == "COMPLETED"
