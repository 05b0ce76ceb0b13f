"""The floor of launching a Python function as a job: `subprocess.run([sys.executable, "-c", "from launch_jobs
import step; step(i)"])`, N times, `parallel` at a time, each awaited to its exit. Used by both sides of the Python
launch benchmark, each with its own interpreter (the one its jobs run with)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's reaped children and their descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_spawns(n: int, parallel: int = 1, python: str = sys.executable) -> "tuple[float, float]":
    """Wall seconds and the children's CPU seconds of N spawns of `python` calling `launch_jobs.step(i)`,
    `parallel` at a time."""
    env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def one(i: int) -> None:
        subprocess.run(
            [python, "-c", f"from launch_jobs import step; step({i})"],
            check=True,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )

    cpu0 = children_cpu()
    t0 = time.perf_counter()
    if parallel <= 1:
        for i in range(n):
            one(i)
    else:
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(one, range(n)))
    return time.perf_counter() - t0, children_cpu() - cpu0


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    wall, cpu = bare_spawns(n, p)
    print(f"{n} bare spawns, {p} at a time: {wall:.3f} s, {wall / n * 1000:.2f} ms and {cpu / n * 1000:.2f} ms CPU each")
