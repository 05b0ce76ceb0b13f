"""Compares the trained models of the sweep and reports the best learning rate."""
import glob, json, os

experiment_dir = os.environ["LABRUN_EXPERIMENT_DIR"]
with open(os.path.join(experiment_dir, "experiment.json")) as f:
    experiment = json.load(f)
home = os.environ["LABRUN_HOME"]
models = []
for job in experiment["jobs"]:
    path = os.path.join(home, job["dir"], "model.json")
    if os.path.exists(path):
        models.append(json.load(open(path)))
for m in sorted(models, key=lambda m: m["loss"]):
    print(f"lr={m['lr']:<8} loss={m['loss']:.5f} w={m['w']:.3f} b={m['b']:.3f}", flush=True)
best = min(models, key=lambda m: m["loss"])
print(f"best learning rate: {best['lr']}", flush=True)
