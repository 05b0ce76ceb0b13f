"""Real processes: SIGKILL loses at most the last flush interval and never leaves a torn line visible;
SIGTERM gives CANCELLED; I/O errors never reach the training loop."""

import os
import signal
import time

from conftest import spawn
from labrun import Run

FLUSH = 0.2

WRITER = """
import sys, time
from labrun import Run
run = Run(prefix="alice/p/{name}", flush_interval={flush}).start()
print("ready", flush=True)
i = 0
while True:
    run.metrics("train").log(i=i, loss=1.0 / (i + 1))
    if i % 50 == 0:
        run.log("step", i=i)
    i += 1
    time.sleep(0.0005)
"""


def test_sigkill_loses_at_most_the_last_flush_interval():
    child = spawn(WRITER.format(name="killed", flush=FLUSH))
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    killed_at = time.time()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    view = Run.open("alice/p/killed")
    points = view.metrics("train").read()
    assert not points.torn and points.skipped == 0
    assert len(points) > 100
    # Contiguous: nothing lost in the middle, indices match the order of the calls.
    assert [p["index"] for p in points] == list(range(len(points)))
    assert [p["data"]["i"] for p in points] == list(range(len(points)))
    # Lost: only what was logged after the last batch, i.e. at most about one flush interval.
    last_ts = points[-1]["data"]["_ts"]
    # (The margin covers a loaded machine delaying the writer thread.)
    assert killed_at - last_ts < FLUSH + 1.0, (killed_at - last_ts)
    logs = view.logs.read()
    assert [r["metadata"]["i"] for r in logs] == list(range(0, 50 * len(logs), 50))
    # Every file ends in a newline: no torn line to glue onto.
    for sub in ("metrics/train/data.jsonl", "logs/logs.jsonl"):
        with open(os.path.join(view.dir, sub), "rb") as f:
            assert f.read().endswith(b"\n")
    assert view.status == "FAILED" and view.died
    # Resuming continues the stream without a gap in the indices.
    with Run(prefix="alice/p/killed").run as run:
        run.metrics("train").log(i=-1)
    again = Run.open("alice/p/killed").metrics("train").read()
    assert [p["index"] for p in again] == list(range(len(points) + 1))


def test_sigterm_cancels_and_flushes():
    child = spawn(WRITER.format(name="terminated", flush=30))  # nothing would be flushed by time
    assert child.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    child.send_signal(signal.SIGTERM)
    code = child.wait(timeout=30)
    assert code == 128 + signal.SIGTERM
    view = Run.open("alice/p/terminated")
    info = view.info()
    assert info["status"] == "CANCELLED" and info["statusReason"] == "SIGTERM" and info["endedAt"]
    assert view.status == "CANCELLED" and not view.died
    points = view.metrics("train").read()
    assert len(points) > 50 and not points.torn


def test_sigterm_inside_a_with_block_and_a_user_handler_still_runs():
    child = spawn(
        """
        import signal, sys, time
        from labrun import Run
        def mine(signum, frame):
            print("user handler", flush=True)
            sys.exit(7)
        signal.signal(signal.SIGTERM, mine)
        with Run(prefix="alice/p/chained").run as run:
            run.log("waiting")
            print("ready", flush=True)
            time.sleep(60)
        """
    )
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGTERM)
    out, _ = child.communicate(timeout=30)
    assert "user handler" in out and child.returncode == 7
    info = Run.open("alice/p/chained").info()
    assert (info["status"], info["statusReason"]) == ("CANCELLED", "SIGTERM")


def test_ctrl_c_in_a_child_cancels():
    child = spawn(
        """
        import time
        from labrun import Run
        with Run(prefix="alice/p/sigint").run as run:
            print("ready", flush=True)
            time.sleep(60)
        """
    )
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGINT)
    child.wait(timeout=30)
    assert child.returncode != 0
    info = Run.open("alice/p/sigint").info()
    assert (info["status"], info["statusReason"]) == ("CANCELLED", "SIGINT")


def test_io_errors_never_reach_the_training_loop(capsys):
    run = Run(prefix="alice/p/ioerr", flush_interval=0.05).start()
    store = run._store
    real = store.append_metric
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        raise OSError(28, "No space left on device")

    store.append_metric = failing
    for i in range(100):
        run.metrics("train").log(i=i)  # never raises
    assert run.flush() is False
    assert calls["n"] >= 1
    assert any("No space left" in str(e) for e in run.write_errors)
    assert "could not write metric 'train'" in capsys.readouterr().err
    store.append_metric = real  # the disk has room again: the kept points are written
    assert run.flush() is True
    run.complete()
    assert [p["data"]["i"] for p in run.metrics("train").read()] == list(range(100))
    assert run.status == "COMPLETED"


def test_data_that_cannot_be_written_fails_the_run_instead_of_completing_it():
    run = Run(prefix="alice/p/ioerr2").start()

    def failing(*args, **kwargs):
        raise OSError(5, "I/O error")

    run._store.append_logs = failing
    run.log("lost")
    run.complete()
    info = run.info()
    assert info["status"] == "FAILED" and "lost 1 record(s) that could not be written" in info["statusReason"]
    assert info["lostRecords"] == 1 and info["writeErrors"] >= 1 and info["lastWriteError"]["code"] == "EIO"
    assert run.write_status()["lost"] == 1


def test_logging_does_not_wait_for_the_disk():
    import threading

    run = Run(prefix="alice/p/slow", flush_interval=0.05).start()
    real = run._store.append_metric
    entered, release = threading.Event(), threading.Event()

    def stuck(*args, **kwargs):
        entered.set()
        release.wait(30)  # a disk that does not answer
        return real(*args, **kwargs)

    run._store.append_metric = stuck
    run.metrics("m").log(x=0)
    assert entered.wait(10)  # the writer thread is now inside the stuck write
    for i in range(1, 1001):
        run.metrics("m").log(x=i)
        run.log("step", i=i)
    # All 2000 calls returned while the write was still stuck.
    assert not release.is_set() and run._writer.pending == 2000
    release.set()
    run.complete()
    assert [p["data"]["x"] for p in run.metrics("m").read()] == list(range(1001))
    assert len(run.logs.read()) == 1000


def test_size_triggered_flush_and_bounded_memory():
    run = Run(prefix="alice/p/size", flush_interval=60, flush_size=500).start()
    for i in range(2000):
        run.metrics("m").log(x=i)
    deadline = time.time() + 5
    while len(Run.open("alice/p/size").metrics("m").read()) < 1500 and time.time() < deadline:
        time.sleep(0.02)
    assert len(Run.open("alice/p/size").metrics("m").read()) >= 1500
    assert run._writer.pending <= 500
    run.complete()
