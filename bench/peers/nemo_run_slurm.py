"""NeMo-Run's SlurmExecutor (LocalTunnel) on the local Slurm cluster: the peer of bench/slurm-array.ts.

Submits N jobs of `true` (one `run.Script(inline="true")` per job, as a sweep is written with NeMo-Run's
public API) with `exp.run(detach=True)`, and reads the times from Slurm itself: submission ends when the last
job was submitted (its SubmitTime), completion when the last one ended (its EndTime), both from the start of
the script. `run()` goes on checking job states after submitting (one sacct per job, which fails on clusters
without accounting), so it runs in a thread and the script ends as soon as Slurm has run every job.
Prints one JSON line: {"peer", "jobs", "submit_s", "total_s", "completed", "run_returned_s"}.
Usage: nemo_run_slurm.py [N]
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
home = tempfile.mkdtemp(prefix="nemorun-home-")
os.environ["NEMORUN_HOME"] = home  # read at import time

import nemo_run as run  # noqa: E402

account = f"bench{os.getpid()}"  # NeMo-Run names jobs "<account>-<account>.<name>": unique per run
prefix = f"{account}-{account}."
start = time.time()
returned = {}


def launch():
    executor = run.SlurmExecutor(
        account=account,
        partition="debug",
        time="00:05:00",
        # An empty job_dir makes the tunnel use the experiment directory under NEMORUN_HOME, where NeMo-Run
        # writes the sbatch scripts (it copies them only for SSH tunnels).
        tunnel=run.LocalTunnel(job_dir=""),
        packager=run.Packager(),
    )
    with run.Experiment("nemo-slurm-bench", log_level="ERROR") as exp:
        for i in range(N):
            exp.add(run.Script(inline="true"), executor=executor.clone(), name=f"job{i}", tail_logs=False)
        exp.run(detach=True)
        returned["at"] = time.time()


threading.Thread(target=launch, daemon=True).start()


def stamp(text):
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


active = {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING"}
while True:
    time.sleep(0.5)
    out = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%j|%T|%V|%e"], capture_output=True, text=True
    ).stdout
    rows = [line.split("|") for line in out.splitlines() if line.startswith(prefix)]
    if len(rows) == N and not any(state in active for _, state, _, _ in rows):
        break
submitted = max(stamp(row[2]) for row in rows)
ended = max(stamp(row[3]) for row in rows)
print(
    json.dumps(
        {
            "peer": "nemo_run",
            "jobs": N,
            "submit_s": round(submitted - start, 1),
            "total_s": round(ended - start, 1),
            "completed": sum(1 for row in rows if row[1] == "COMPLETED"),
            "run_returned_s": round(returned["at"] - start, 1) if "at" in returned else None,
        }
    ),
    flush=True,
)
shutil.rmtree(home, ignore_errors=True)
os._exit(0)  # the launch thread may still be checking states
