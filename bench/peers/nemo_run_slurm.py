"""NeMo-Run's SlurmExecutor (LocalTunnel) on the local Slurm cluster: the peer of bench/slurm-array.ts.

Submits N jobs of `true` (one `run.Script(inline="true")` per job, as a sweep is written with NeMo-Run's
public API), detached, then waits until Slurm reports every one of them finished. Prints one JSON line:
{"peer": "nemo_run", "jobs": N, "submit_s": ..., "total_s": ..., "completed": ..., "failed": ...}.
Usage: nemo_run_slurm.py [N]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
home = tempfile.mkdtemp(prefix="nemorun-home-")
os.environ["NEMORUN_HOME"] = home  # read at import time

import nemo_run as run  # noqa: E402

executor = run.SlurmExecutor(
    account="bench",
    partition="debug",
    time="00:05:00",
    # An empty job_dir makes the tunnel use the experiment directory under NEMORUN_HOME, where NeMo-Run
    # writes the sbatch scripts (it copies them only for SSH tunnels).
    tunnel=run.LocalTunnel(job_dir=""),
    packager=run.Packager(),
)

start = time.perf_counter()
with run.Experiment("nemo-slurm-bench", log_level="ERROR") as exp:
    for i in range(N):
        exp.add(run.Script(inline="true"), executor=executor.clone(), name=f"job{i}", tail_logs=False)
    exp.run(detach=True)
    submitted = time.perf_counter()
    ids = [str(job.handle).rsplit("/", 1)[-1] for job in exp.jobs]

active = {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING"}
while True:
    out = subprocess.run(
        ["squeue", "-h", "-t", "all", "-j", ",".join(ids), "-o", "%T"], capture_output=True, text=True
    ).stdout.split()
    if len(out) == len(ids) and not any(state in active for state in out):
        break
    time.sleep(0.2)
end = time.perf_counter()
print(
    json.dumps(
        {
            "peer": "nemo_run",
            "jobs": N,
            "submit_s": round(submitted - start, 2),
            "total_s": round(end - start, 2),
            "completed": out.count("COMPLETED"),
            "failed": len(out) - out.count("COMPLETED"),
        }
    )
)
shutil.rmtree(home, ignore_errors=True)
