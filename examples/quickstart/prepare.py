"""Writes a small synthetic dataset (y = 3x + 1 + noise) to data.csv."""
import csv, os, random, time

from tracking import current_run

ROWS = 200
run = current_run()
run.params.set(rows=ROWS, seed=0)
out = os.path.join(os.environ.get("LABRUN_JOB_DIR", "."), "data.csv")
random.seed(0)
with open(out, "w", newline="") as f:
    writer = csv.writer(f)
    for i in range(ROWS):
        x = random.uniform(-1, 1)
        writer.writerow([x, 3 * x + 1 + random.gauss(0, 0.1)])
        if i % 50 == 0:
            print(f"prepared {i}/{ROWS} rows", flush=True)
            time.sleep(0.3)
print(f"dataset written to {out}", flush=True)
with open(os.path.join(os.environ.get("LABRUN_EXPERIMENT_DIR", "."), "dataset.path"), "w") as f:
    f.write(out)
