import { ExperimentStateError } from "../errors.js";

/** One point of a sweep: its parameter values and a name made of them (`lr=0.001,bs=32`). */
export interface SweepPoint<T extends Record<string, unknown>> {
  readonly values: T;
  readonly name: string;
}

type Axes = Record<string, readonly unknown[]>;
type PointOf<A extends Axes> = { -readonly [K in keyof A]: A[K][number] };

/**
 * Every combination of the values (the Cartesian product), the last key varying fastest.
 *
 * @example
 * for (const { values, name } of grid({ lr: [1e-3, 1e-4], bs: [32, 64] }))
 *   exp.add(new Script({ path: "train.py", args: [`--lr=${values.lr}`, `--bs=${values.bs}`] }), { name: `train-${name}` });
 */
export function grid<A extends Axes>(axes: A): SweepPoint<PointOf<A>>[] {
  const keys = checkAxes(axes, "grid");
  let points: Record<string, unknown>[] = [{}];
  for (const key of keys)
    points = points.flatMap((point) => axes[key]!.map((value) => ({ ...point, [key]: value })));
  return points.map((values) => ({ values: values as PointOf<A>, name: pointName(values) }));
}

/** The values taken side by side: the i-th point has the i-th value of every key (all lists the same length). */
export function zip<A extends Axes>(axes: A): SweepPoint<PointOf<A>>[] {
  const keys = checkAxes(axes, "zip");
  const lengths = new Set(keys.map((key) => axes[key]!.length));
  if (lengths.size > 1)
    throw new ExperimentStateError(
      `zip() needs lists of one length; got ${keys.map((key) => `${key}: ${axes[key]!.length}`).join(", ")}. Use grid() for every combination.`,
    );
  const length = axes[keys[0]!]!.length;
  return Array.from({ length }, (_, i) => {
    const values = Object.fromEntries(keys.map((key) => [key, axes[key]![i]]));
    return { values: values as PointOf<A>, name: pointName(values) };
  });
}

function checkAxes(axes: Axes, what: string): string[] {
  const keys = Object.keys(axes);
  if (keys.length === 0)
    throw new ExperimentStateError(`${what}() needs at least one key with a list of values.`);
  for (const key of keys) {
    if (!Array.isArray(axes[key]) || axes[key]!.length === 0)
      throw new ExperimentStateError(`${what}(): "${key}" needs a non-empty list of values.`);
  }
  return keys;
}

/** `key=value` pairs; values as JSON except plain strings, kept readable in job names and folders. */
export function pointName(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(",");
}
