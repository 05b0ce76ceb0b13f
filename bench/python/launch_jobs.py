"""The jobs of the Python launch benchmark (bench/python-launch.ts): importable functions that do nothing, so
what is measured is the launcher. Both labrun (`labrun.Partial`) and NeMo-Run (`nemo_run.Partial`) run them, and
the bare baseline spawns the same interpreter to call them."""


def prep(n: int) -> int:
    """The fan-out's root."""
    return n


def step(i: int) -> int:
    """One of the parallel middle jobs."""
    return i


def merge(n: int) -> int:
    """The fan-in: depends on every middle job."""
    return n
