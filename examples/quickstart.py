"""The quickstart experiment (`npm start`), planned in Python: prepare a dataset, train with three learning rates in
parallel, then evaluate, as a dependency graph of Python jobs on this machine. Each training logs its loss to its
tracked run, so `labrun ui` shows the curves and `labrun experiment status` the latest values.

Run it with `npm start` (`node bin/labrun.js run examples/quickstart.py`), or `python3 examples/quickstart.py` where
the client finds the engine (`$LABRUN_CLI`, `labrun` on PATH). The TypeScript version is examples/quickstart.ts."""
import os
import sys
from urllib.parse import quote

import labrun as run

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quickstart")
sys.path.insert(0, HERE)
from train import train  # noqa: E402  (a function of examples/quickstart/train.py, called in each job's process)

with run.Experiment("quickstart", executor=run.LocalExecutor()) as exp:
    prepare = exp.add(run.Script(path=os.path.join(HERE, "prepare.py")), name="prepare")
    trains = [
        exp.add(run.Partial(train, lr=lr), name=f"train-lr{lr}", dependencies=[prepare]) for lr in (0.01, 0.003, 0.001)
    ]
    exp.add(run.Script(path=os.path.join(HERE, "evaluate.py")), name="evaluate", dependencies=trains, tail_logs=True)
    exp.run()

exp.status()
# The dashboard's address of the three trainings' loss curves on one chart (run ids are workspace-relative folders).
workspace = os.path.dirname(os.path.dirname(os.path.dirname(exp.dir)))
jobs = exp.status(return_dict=True) or {}
runs = [os.path.relpath(os.path.join(job["local_dir"], "run"), workspace) for name, job in jobs.items() if "train" in name]
compare = "http://127.0.0.1:4500/runs/view?ids=" + ",".join(quote(r, safe="") for r in runs)
print(
    f"""
Next, try:
  npx labrun ui                                      # the web dashboard: http://127.0.0.1:4500/
      then open {compare}
      (the three trainings' loss curves on one chart)
  npx labrun experiment status {exp.id}    # jobs, states, latest metrics
  npx labrun experiment logs {exp.id} evaluate
  npx labrun runs list                               # every job's tracked run
  npx labrun run examples/quickstart.py              # again, or write your own experiment file
Everything is in {exp.dir}"""
)
sys.exit(0 if exp.result and exp.result.get("ok") else 1)
