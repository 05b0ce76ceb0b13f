import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pythonClientDir } from "../../util/engine-paths.js";

const compiled = new Set<string>();

/**
 * Byte-compiles the shipped client's `labrun` package for `python`, once per interpreter and engine process.
 * Every Python job imports it; without a `__pycache__` (a read-only copy, or `PYTHONDONTWRITEBYTECODE` set, as
 * in many containers) each job compiles those modules again, a third of a bare interpreter's start-up. Only
 * the client's own folder is written (never the user's); where it cannot be, jobs still run, compiling as before.
 */
export function compileRunnerOnce(python: string): void {
  if (compiled.has(python)) return;
  compiled.add(python);
  spawnSync(python, ["-m", "compileall", "-q", join(pythonClientDir(), "labrun")], {
    stdio: "ignore",
    timeout: 30_000,
  });
}
