"""Python side of bench/ml-dash-remote.ts: one client logs N points to a labrun server in remote mode.

    python bench/python/ml_dash_remote_ingest.py TOOL URL TOKEN PREFIX N

TOOL is `ml-dash` (ml_dash.Experiment(dash_url=URL, dash_root=None), with its default buffering; the token
is read from $ML_DASH_CONFIG_DIR/tokens.json, which the caller writes) or `labrun` (labrun.Run(dash_url=URL,
token=TOKEN), imported from clients/python of this checkout). Each logs `metrics("train").log(loss=…, step=i)`
once per point and closes the run, which waits until the server has every point. Prints one JSON line:
{"tool", "points", "seconds"} (from opening the run to the end of its close).
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "clients", "python"))

tool, url, token, prefix, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

started = time.perf_counter()
if tool == "ml-dash":
    from ml_dash import Experiment

    with Experiment(prefix=prefix, dash_url=url, dash_root=None).run as exp:
        train = exp.metrics("train")
        for i in range(n):
            train.log(loss=1.0 / (i + 1), step=i)
elif tool == "labrun":
    import labrun

    with labrun.Run(prefix=prefix, dash_url=url, token=token).run as run:
        train = run.metrics("train")
        for i in range(n):
            train.log(loss=1.0 / (i + 1), step=i)
    status = run.remote_status()
    if status.get("pending") or status.get("lost"):
        raise SystemExit(f"labrun client left points unsent: {status}")
else:
    raise SystemExit(f"unknown tool {tool}")
seconds = time.perf_counter() - started
print(json.dumps({"tool": tool, "points": n, "seconds": seconds}))
