// The functions the example's jobs call (as `Partial` tasks, each in its own process).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Writes points of y = 2x + 1 with noise to the experiment directory, where the training jobs read them. */
export function makeDataset(options: { points: number; noise: number }): { points: number } {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const points: Point[] = Array.from({ length: options.points }, (_, i) => {
    const x = i / options.points;
    return { x, y: 2 * x + 1 + options.noise * random() };
  });
  writeFileSync(datasetFile(), JSON.stringify(points));
  console.log(`wrote ${points.length} points to ${datasetFile()}`);
  return { points: points.length };
}

/** Fits y = w x + b by mini-batch gradient descent and returns the final loss. */
export function train(options: { lr: number; bs: number; epochs: number }): {
  loss: number;
  w: number;
  b: number;
} {
  const points = JSON.parse(readFileSync(datasetFile(), "utf8")) as Point[];
  let w = 0;
  let b = 0;
  let loss = Number.NaN;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let start = 0; start < points.length; start += options.bs) {
      const batch = points.slice(start, start + options.bs);
      const grad = batch.reduce(
        (sum, { x, y }) => ({ w: sum.w + (w * x + b - y) * x, b: sum.b + (w * x + b - y) }),
        { w: 0, b: 0 },
      );
      w -= (options.lr * grad.w) / batch.length;
      b -= (options.lr * grad.b) / batch.length;
    }
    loss = points.reduce((sum, { x, y }) => sum + (w * x + b - y) ** 2, 0) / points.length;
    console.log(`epoch ${epoch}/${options.epochs} loss=${loss.toFixed(5)}`);
  }
  return { loss, w, b };
}

function datasetFile(): string {
  const dir = process.env.LABRUN_EXPERIMENT_DIR;
  if (!dir) throw new Error("LABRUN_EXPERIMENT_DIR is not set: run this through labrun.");
  return join(dir, "dataset.json");
}
