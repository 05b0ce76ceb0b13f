"""Fits y = w x + b by gradient descent on the prepared dataset, printing the loss as it goes."""
import argparse, csv, json, os, time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--epochs", type=int, default=8)
args = parser.parse_args()

with open(os.path.join(os.environ["LABRUN_EXPERIMENT_DIR"], "dataset.path")) as f:
    rows = [tuple(map(float, r)) for r in csv.reader(open(f.read()))]

w = b = 0.0
for epoch in range(1, args.epochs + 1):
    for x, y in rows:
        err = w * x + b - y
        w -= args.lr * err * x
        b -= args.lr * err
    loss = sum((w * x + b - y) ** 2 for x, y in rows) / len(rows)
    print(f"epoch {epoch}/{args.epochs} loss={loss:.5f}", flush=True)
    time.sleep(0.25)

result = {"lr": args.lr, "w": w, "b": b, "loss": loss}
with open(os.path.join(os.environ["LABRUN_JOB_DIR"], "model.json"), "w") as f:
    json.dump(result, f)
print(json.dumps(result), flush=True)
