#!/usr/bin/env python3
"""Peer benchmark: NeMo-Run's LocalExecutor running a fan-out/fan-in DAG of Python `run.Partial` jobs.

The same DAG as labrun's side of the Python launch benchmark (bench/python-launch.ts):

    prep(n)  ->  N-2 x step(i) (each depends on prep)  ->  merge(n) (depends on every step)

with the functions of bench/python/launch_jobs.py. Prints one JSON line on stdout: wall time from
`run.Experiment(...)` to the end of the `with` block, the jobs' final states, and the bare baseline: N spawns of
this same interpreter calling `launch_jobs.step(i)`, sequentially and `--parallel` at a time.

Usage: python nemo_run_partial.py N [--workers K] [--parallel P] [--keep-home]

Run it with the venv's bin first on PATH (an activated venv): NeMo-Run starts each job as
`python -m nemo_run.core.runners.fdl_runner …`, with the `python` it finds on PATH. Everything NeMo-Run writes goes to
a temporary NEMORUN_HOME, deleted at the end (unless --keep-home). NeMo-Run's console output goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JOBS_DIR = os.path.join(os.path.dirname(HERE), "python")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--workers", type=int, default=16, help="Experiment(threadpool_workers=...), NeMo-Run's default 16")
    ap.add_argument("--parallel", type=int, default=os.cpu_count() or 2, help="bare baseline: spawns at a time")
    ap.add_argument("--keep-home", action="store_true")
    args = ap.parse_args()
    n = args.n
    if n < 3:
        ap.error("N >= 3 (prep, at least one step, merge)")

    # NEMORUN_HOME is read when nemo_run is imported.
    home = tempfile.mkdtemp(prefix="nemorun-partial-")
    os.environ["NEMORUN_HOME"] = home
    sys.path.insert(0, JOBS_DIR)
    real_stdout = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)

    t_import0 = time.perf_counter()
    import nemo_run as run
    from importlib.metadata import version

    from bare_spawn import bare_spawns, children_cpu
    from launch_jobs import merge, prep, step

    t_import = time.perf_counter() - t_import0

    error = None
    t_add = 0.0
    cpu0 = own_cpu() + children_cpu()
    t0 = time.perf_counter()
    exp = None
    try:
        executor = run.LocalExecutor(env_vars={"PYTHONPATH": JOBS_DIR})
        exp = run.Experiment(
            "labrun-python-bench",
            executor=executor,
            enable_goodbye_message=False,
            skip_status_at_exit=True,
            log_level="WARN",
            threadpool_workers=args.workers,
        )
        with exp:
            ta = time.perf_counter()
            root = exp.add(run.Partial(prep, n=n), name="prep", tail_logs=False)
            steps = [
                exp.add(run.Partial(step, i=i), name=f"step-{i}", tail_logs=False, dependencies=[root])
                for i in range(1, n - 1)
            ]
            exp.add(run.Partial(merge, n=n), name="merge", tail_logs=False, dependencies=steps)
            t_add = time.perf_counter() - ta
            exp.run(sequential=False, detach=False, tail_logs=False)
    except BaseException as e:  # recorded, and the JSON line is still written
        error = f"{type(e).__name__}: {e}"
        import traceback

        traceback.print_exc()
    total = time.perf_counter() - t0
    cpu = own_cpu() + children_cpu() - cpu0

    states: dict = {}
    for job in getattr(exp, "jobs", None) or []:
        state = str(getattr(job, "state", None))
        states[state] = states.get(state, 0) + 1
    if args.keep_home:
        print(f"NEMORUN_HOME kept at {home}", file=sys.stderr)
    else:
        shutil.rmtree(home, ignore_errors=True)

    bare_seq, bare_seq_cpu = bare_spawns(n, 1)
    bare_par, _ = bare_spawns(n, args.parallel)
    succeeded = sum(count for state, count in states.items() if state.endswith("SUCCEEDED"))
    result = {
        "peer": "nemo_run",
        "version": version("nemo_run"),
        "torchx_version": version("torchx"),
        "python": sys.version.split()[0],
        "jobs": n,
        "threadpool_workers": args.workers,
        "total_s": round(total, 4),
        "add_s": round(t_add, 4),
        "cpu_s": round(cpu, 4),
        "bare_seq_cpu_s": round(bare_seq_cpu, 4),
        "import_s": round(t_import, 4),
        "bare_seq_s": round(bare_seq, 4),
        "bare_par_s": round(bare_par, 4),
        "bare_parallel": args.parallel,
        "job_states": states,
        "ok": error is None and succeeded == n,
        "error": error,
    }
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
