#!/usr/bin/env python3
"""Peer benchmark: NVIDIA NeMo-Run local launch overhead.

Launches N jobs of `true` through NeMo-Run's public API with the same shape as
labrun's own benchmark:

    root  ->  N-2 middle jobs (fan-out, each depends on root)
          ->  final job (fan-in, depends on all middle jobs)

and reports wall time as one JSON line on stdout.  Also measures a bare
sequential `subprocess.run(["true"])` baseline for the same N, so the
per-job overhead over a bare spawn can be given.

Usage:
    python nemo_run_launch.py [N] [--mode dag|flat] [--keep-home]

    --mode dag   (default) fan-out/fan-in graph with `dependencies=[...]`
    --mode flat  N independent jobs, no dependencies (one parallel level)
    --keep-home  do not delete the temporary NEMORUN_HOME (to inspect it)

Everything NeMo-Run writes goes to a temporary NEMORUN_HOME that is deleted at
the end (unless --keep-home).  NeMo-Run's console output is sent to stderr so
stdout carries only the JSON result.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def count_tree(path: str) -> tuple[int, int, int]:
    """Return (dirs, files, bytes) under path."""
    dirs = files = size = 0
    for root, dnames, fnames in os.walk(path):
        dirs += len(dnames)
        for f in fnames:
            files += 1
            try:
                size += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return dirs, files, size


def install_breakdown() -> dict:
    """Wrap a few NeMo-Run / torchx internals with cumulative timers.

    Diagnostic only (--breakdown): it does not change behaviour, but the
    wrapped names are private and may move between versions.  Times of
    functions that run in worker threads are summed over threads, so they can
    exceed wall time.
    """
    import threading

    from nemo_run.run import experiment as exp_mod
    from nemo_run.run import job as job_mod
    from nemo_run.run.torchx_backend.schedulers import local as local_mod

    acc: dict = {}
    lock = threading.Lock()

    def wrap(owner, name, label):
        orig = getattr(owner, name)

        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                d = time.perf_counter() - t
                with lock:
                    acc[label] = acc.get(label, 0.0) + d

        setattr(owner, name, wrapper)

    wrap(exp_mod.Experiment, "_prepare", "Experiment._prepare (write configs/scripts, x2)")
    wrap(exp_mod.Experiment, "_wait_for_jobs", "Experiment._wait_for_jobs (per level)")
    wrap(exp_mod.Experiment, "_cleanup", "Experiment._cleanup (runner close)")
    wrap(job_mod.Job, "launch", "Job.launch (summed over threads)")
    wrap(local_mod, "_save_job_dir", "_save_job_dir (.local_jobs.json rewrite, summed)")
    return acc


def bare_baseline(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(["true"], check=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=100)
    ap.add_argument("--mode", choices=["dag", "flat"], default="dag")
    ap.add_argument("--keep-home", action="store_true")
    ap.add_argument(
        "--workers",
        type=int,
        default=16,
        help="Experiment(threadpool_workers=...) launch threads per level (NeMo-Run default 16)",
    )
    ap.add_argument(
        "--breakdown",
        action="store_true",
        help="wrap a few NeMo-Run internals with timers (diagnostic only)",
    )
    args = ap.parse_args()
    n = args.n
    if args.mode == "dag" and n < 3:
        ap.error("dag mode needs N >= 3 (root + >=1 middle + final)")

    # NEMORUN_HOME is read at import time of nemo_run.config, so set it first.
    home = tempfile.mkdtemp(prefix="nemorun-bench-")
    os.environ["NEMORUN_HOME"] = home

    # Route everything NeMo-Run prints (rich console, torchx logs) to stderr at
    # the fd level; keep a private copy of the real stdout for the JSON line.
    real_stdout = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)

    t_import0 = time.perf_counter()
    import nemo_run as run  # noqa: E402
    from importlib.metadata import version as _pkg_version

    t_import = time.perf_counter() - t_import0
    nr_version = _pkg_version("nemo_run")
    try:
        torchx_version = _pkg_version("torchx")
    except Exception:  # pragma: no cover
        torchx_version = None

    breakdown = install_breakdown() if args.breakdown else None

    error = None
    t_add = t_run = t_exit = 0.0
    exp_dir = None
    t0 = time.perf_counter()
    try:
        exp = run.Experiment(
            "labrun-peer-bench",
            executor=run.LocalExecutor(),
            enable_goodbye_message=False,
            skip_status_at_exit=True,
            log_level="WARN",
            threadpool_workers=args.workers,
        )
        exp_dir = exp._exp_dir
        with exp:
            ta = time.perf_counter()
            if args.mode == "dag":
                root = exp.add(run.Script(inline="true"), name="root", tail_logs=False)
                mids = [
                    exp.add(
                        run.Script(inline="true"),
                        name=f"mid{i}",
                        tail_logs=False,
                        dependencies=[root],
                    )
                    for i in range(n - 2)
                ]
                exp.add(
                    run.Script(inline="true"),
                    name="final",
                    tail_logs=False,
                    dependencies=mids,
                )
            else:
                for i in range(n):
                    exp.add(run.Script(inline="true"), name=f"job{i}", tail_logs=False)
            t_add = time.perf_counter() - ta

            tr = time.perf_counter()
            exp.run(sequential=False, detach=False, tail_logs=False)
            t_run = time.perf_counter() - tr
            te = time.perf_counter()
        t_exit = time.perf_counter() - te
    except BaseException as e:  # record honestly, still emit JSON
        error = f"{type(e).__name__}: {e}"
        import traceback

        traceback.print_exc()  # goes to stderr (fd 1 is redirected there too)
    total = time.perf_counter() - t0

    # Inspect what NeMo-Run left on disk and the job states it recorded.
    states = {}
    try:
        for job in exp.jobs:
            st = getattr(job, "state", None)
            states[str(st)] = states.get(str(st), 0) + 1
    except Exception:
        pass
    dirs, files, size = count_tree(home)

    bare = bare_baseline(n)

    if args.keep_home:
        print(f"NEMORUN_HOME kept at {home}", file=sys.stderr)
    else:
        shutil.rmtree(home, ignore_errors=True)

    result = {
        "peer": "nemo_run",
        "version": nr_version,
        "torchx_version": torchx_version,
        "mode": args.mode,
        "threadpool_workers": args.workers,
        "jobs": n,
        "total_s": round(total, 4),
        "per_job_ms": round(total / n * 1000, 3),
        "phases_s": {
            "import_nemo_run": round(t_import, 4),
            "add": round(t_add, 4),
            "run": round(t_run, 4),
            "exit_wait": round(t_exit, 4),
        },
        "bare_total_s": round(bare, 4),
        "bare_per_job_ms": round(bare / n * 1000, 3),
        "overhead_per_job_ms": round((total - bare) / n * 1000, 3),
        "job_states": states,
        "nemorun_home_written": {"dirs": dirs, "files": files, "bytes": size},
        "error": error,
    }
    if breakdown is not None:
        result["breakdown_s"] = {k: round(v, 4) for k, v in breakdown.items()}
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
