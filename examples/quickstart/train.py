"""Fits y = w x + b by gradient descent on the prepared dataset, logging the loss of every epoch to the job's
run (`Run.current()`: curves in `labrun ui`, values in `labrun experiment status`).

`train(lr)` is what examples/quickstart.py launches (`run.Partial(train, lr=0.1)`); examples/quickstart.ts runs
this file as a script (`train.py --lr=0.1`)."""
import argparse, csv, json, os, time

from tracking import current_run


def train(lr: float, epochs: int = 8, data: "str | None" = None) -> dict:
    """Trains on `data` (default: the dataset prepare.py recorded for this experiment); returns the model."""
    run = current_run()
    run.params.set(lr=lr, epochs=epochs)
    if data is None:
        with open(os.path.join(os.environ.get("LABRUN_EXPERIMENT_DIR", "."), "dataset.path")) as f:
            data = f.read()
    with open(data) as f:
        rows = [tuple(map(float, r)) for r in csv.reader(f)]

    w = b = 0.0
    for epoch in range(1, epochs + 1):
        for x, y in rows:
            err = w * x + b - y
            w -= lr * err * x
            b -= lr * err
        loss = sum((w * x + b - y) ** 2 for x, y in rows) / len(rows)
        run.metrics("train").log(loss=loss, step=epoch)
        print(f"epoch {epoch}/{epochs} loss={loss:.5f}", flush=True)
        time.sleep(0.25)

    result = {"lr": lr, "w": w, "b": b, "loss": loss}
    with open(os.path.join(os.environ.get("LABRUN_JOB_DIR", "."), "model.json"), "w") as f:
        json.dump(result, f)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--data", help="the dataset (default: the one prepare.py recorded for this experiment)")
    args = parser.parse_args()
    train(args.lr, args.epochs, args.data)
