"""Compares the trained models of the sweep, reports the best learning rate and logs it to the job's run."""
import json, os

from tracking import current_run

run = current_run()
experiment_dir = os.environ["LABRUN_EXPERIMENT_DIR"]
with open(os.path.join(experiment_dir, "experiment.json")) as f:
    experiment = json.load(f)
home = os.environ["LABRUN_HOME"]
models = []
for job in experiment["jobs"]:
    path = os.path.join(home, job["dir"], "model.json")
    if os.path.exists(path):
        with open(path) as f:
            models.append(json.load(f))
for m in sorted(models, key=lambda m: m["loss"]):
    print(f"lr={m['lr']:<8} loss={m['loss']:.5f} w={m['w']:.3f} b={m['b']:.3f}", flush=True)
best = min(models, key=lambda m: m["loss"])
run.metrics("eval").log(best_loss=best["loss"], best_lr=best["lr"], models=len(models))
print(f"best learning rate: {best['lr']}", flush=True)
