import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// This file sits at <package>/src/util/ (tests) or <package>/dist/util/ (installed): both two levels down.
const packageRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** The folder holding the `labrun` Python package shipped in the npm package (put on jobs' PYTHONPATH). */
export function pythonClientDir(): string {
  return join(packageRoot, "clients", "python");
}

/** The CLI of this copy of labrun (`bin/labrun.js`). */
export function labrunCliPath(): string {
  return join(packageRoot, "bin", "labrun.js");
}

/** The Python interpreter for `labrun run x.py`, the experiment.py planner and Python jobs: `$LABRUN_PYTHON`, else `python3`. */
export function defaultPython(): string {
  return process.env.LABRUN_PYTHON || "python3";
}

/** Variables telling a process (a Python driver, a job) which engine launched it (docs/plan-protocol.md). */
export function engineEnv(): Record<string, string> {
  return { LABRUN_CLI: labrunCliPath(), LABRUN_NODE: process.execPath };
}

/** `PYTHONPATH` with the shipped client first, then `folders`, then what it was. */
export function pythonPathWith(folders: readonly string[], current = process.env.PYTHONPATH): string {
  const parts = [pythonClientDir(), ...folders, ...(current ? current.split(":") : [])].filter(Boolean);
  return [...new Set(parts)].join(":");
}
