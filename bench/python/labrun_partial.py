#!/usr/bin/env python3
"""labrun's side of the Python launch benchmark: a fan-out/fan-in DAG of Python `run.Partial` jobs planned with
labrun's Python front door, run by its engine on the local executor.

    prep(n)  ->  N-2 x step(i) (each depends on prep)  ->  merge(n) (depends on every step)

Usage: python labrun_partial.py N [--max-parallel P] [--parallel B]

Prints one JSON line on stdout: planning time (the `add()` calls), wall time from `run.Experiment(...)` to the end
of the `with` block (the engine validates the plan, launches every job and waits for them), CPU time of the whole
tree (this process, the engine and the jobs), the jobs' final states, and the bare baseline: N spawns of this same
interpreter calling `launch_jobs.step(i)`, sequentially and B at a time. The workspace is a temporary folder,
deleted at the end. labrun's console output goes to stderr.
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
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--max-parallel", type=int, default=None, help="LocalExecutor(max_parallel=...), default: CPUs")
    ap.add_argument("--parallel", type=int, default=os.cpu_count() or 2, help="bare baseline: spawns at a time")
    args = ap.parse_args()
    n = args.n
    if n < 3:
        ap.error("N >= 3 (prep, at least one step, merge)")

    workspace = tempfile.mkdtemp(prefix="labrun-python-bench-")
    # The engine's own CPU time, written at its exit by engine-cpu-hook.mjs (when the bench loads it).
    cpu_dir = os.path.join(workspace, "engine-cpu")
    os.makedirs(cpu_dir)
    os.environ["LABRUN_BENCH_CPU_DIR"] = cpu_dir
    sys.path.insert(0, HERE)
    real_stdout = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)

    t_import0 = time.perf_counter()
    import labrun as run

    from bare_spawn import bare_spawns, children_cpu
    from launch_jobs import merge, prep, step

    t_import = time.perf_counter() - t_import0

    error = None
    exp = None
    t_add = 0.0
    own0 = own_cpu()
    cpu0 = own0 + children_cpu()
    wall0 = time.time()
    t0 = time.perf_counter()
    try:
        executor = run.LocalExecutor(**({} if args.max_parallel is None else {"max_parallel": args.max_parallel}))
        with run.Experiment("python-launch-bench", executor=executor, base_dir=workspace, clean_mode=True) as exp:
            ta = time.perf_counter()
            root = exp.add(run.Partial(prep, n=n), name="prep")
            steps = [exp.add(run.Partial(step, i=i), name=f"step-{i}", dependencies=[root]) for i in range(1, n - 1)]
            exp.add(run.Partial(merge, n=n), name="merge", dependencies=steps)
            t_add = time.perf_counter() - ta
            exp.run()
    except BaseException as e:  # recorded, and the JSON line is still written
        error = f"{type(e).__name__}: {e}"
        import traceback

        traceback.print_exc()
    total = time.perf_counter() - t0
    cpu = own_cpu() + children_cpu() - cpu0
    planner_cpu = own_cpu() - own0
    engine_cpu = None
    for _ in range(40):  # the `plan run` engine writes it as it exits (status calls below come later)
        for name in os.listdir(cpu_dir):
            with open(os.path.join(cpu_dir, name)) as f:
                record = json.load(f)
            if record.get("command") == "plan run":
                engine_cpu = record["cpuMs"] / 1000
        if engine_cpu is not None or "NODE_OPTIONS" not in os.environ:
            break
        time.sleep(0.05)

    states: dict = {}
    first_start = None
    try:
        for name, job in (exp.status(return_dict=True) or {}).items() if exp is not None else []:
            state = str(job.get("state") if isinstance(job, dict) else job)
            states[state] = states.get(state, 0) + 1
            if name == "prep" and job.get("started_at"):
                started = datetime.fromisoformat(job["started_at"].replace("Z", "+00:00")).timestamp()
                first_start = started - wall0
    except Exception as e:  # the states are a check, not the measurement
        error = error or f"status: {type(e).__name__}: {e}"
    shutil.rmtree(workspace, ignore_errors=True)

    bare_seq, bare_seq_cpu = bare_spawns(n, 1)
    bare_par, _ = bare_spawns(n, args.parallel)
    result = {
        "launcher": "labrun",
        "version": getattr(run, "__version__", None),
        "python": sys.version.split()[0],
        "jobs": n,
        "max_parallel": args.max_parallel,
        "total_s": round(total, 4),
        "add_s": round(t_add, 4),
        "first_job_started_s": None if first_start is None else round(first_start, 4),
        "import_s": round(t_import, 4),
        "cpu_s": round(cpu, 4),
        "planner_cpu_s": round(planner_cpu, 4),
        "engine_cpu_s": None if engine_cpu is None else round(engine_cpu, 4),
        "bare_seq_s": round(bare_seq, 4),
        "bare_seq_cpu_s": round(bare_seq_cpu, 4),
        "bare_par_s": round(bare_par, 4),
        "bare_parallel": args.parallel,
        "job_states": states,
        "ok": error is None and states.get("COMPLETED", 0) == n,
        "error": error,
    }
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
