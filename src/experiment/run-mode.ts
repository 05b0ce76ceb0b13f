import { InvalidRunModeError } from "../errors.js";

/** How `labrun run-experiment` treats the jobs an experiment file adds (experimaestro's RunMode). */
export const runModes = ["NORMAL", "DRY_RUN", "GENERATE"] as const;
export type RunMode = (typeof runModes)[number];

/** `NORMAL`, `dry-run`, `generate`, …: case and `-`/`_` don't matter, as in experimaestro. */
export function parseRunMode(text: string): RunMode {
  const normalized = text.trim().toUpperCase().replace(/-/g, "_");
  const mode = runModes.find((candidate) => candidate === normalized);
  if (!mode) throw new InvalidRunModeError(text);
  return mode;
}
