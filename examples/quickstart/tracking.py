"""The run a quickstart job logs to: labrun's `Run.current()` when labrun launched the job, else a stand-in that
keeps nothing, so `python3 train.py --lr 0.1 --data data.csv` still works by hand (the scripts print what they
log anyway)."""
import os
import sys


class _Untracked:
    """The part of a run's API the scripts use, doing nothing."""

    def __init__(self):
        self.params = self

    def set(self, **values):
        pass

    def metrics(self, name=None):
        return self

    def log(self, *message, **fields):
        pass


def current_run():
    """This job's run (`from labrun import Run; Run.current()`), or the stand-in outside labrun."""
    if not os.environ.get("LABRUN_RUN_DIR"):
        print("(not launched by labrun: metrics are printed, not tracked)", file=sys.stderr, flush=True)
        return _Untracked()
    try:
        from labrun import Run  # labrun puts its Python client on the PYTHONPATH of the jobs it launches
    except ImportError:
        print("(labrun's Python client is not importable: metrics are printed, not tracked)", file=sys.stderr)
        return _Untracked()
    return Run.current()
