import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants } from "node:os";
import { ExperimentFileError } from "../../errors.js";
import { defaultPython, engineEnv, pythonPathWith } from "../../util/engine-paths.js";
import { printJson } from "../output.js";

/** The variable through which `labrun plan run` reports its results to the `labrun run x.py` above it. */
export const resultsFileVariable = "LABRUN_RESULTS_FILE";

/**
 * `labrun run x.py`: runs the file with `$LABRUN_PYTHON` (else `python3`), telling the Python client which
 * engine launched it (`LABRUN_CLI`, `LABRUN_NODE`) and where the shipped client is (`PYTHONPATH`). Exits with
 * the script's exit code, or 1 when it exited 0 but an experiment it ran did not complete (as `labrun run x.ts`).
 */
export async function runPythonFile(
  path: string,
  args: readonly string[],
  options: { json?: boolean } = {},
): Promise<number> {
  const python = defaultPython();
  const folder = mkdtempSync(join(tmpdir(), "labrun-run-"));
  const resultsFile = join(folder, "results.jsonl");
  // Ctrl-C reaches the script and its engine through the terminal; this process only waits for them.
  const ignore = () => undefined;
  process.on("SIGINT", ignore);
  let forward: (() => void) | undefined;
  try {
    const child = spawn(python, [path, ...args], {
      stdio: "inherit",
      env: {
        ...process.env,
        ...engineEnv(),
        PYTHONPATH: pythonPathWith([]),
        [resultsFileVariable]: resultsFile,
      },
    });
    // A SIGTERM sent to this process alone (a job scheduler, `kill`) is the script's to handle, as for TypeScript.
    forward = () => child.kill("SIGTERM");
    process.on("SIGTERM", forward);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once("error", (error: NodeJS.ErrnoException) =>
          reject(
            error.code === "ENOENT"
              ? new ExperimentFileError(
                  `Python interpreter "${python}" was not found to run ${path}. Install Python 3, or set LABRUN_PYTHON to an interpreter.`,
                  { details: { python, file: path } },
                )
              : error,
          ),
        );
        child.once("exit", (code, signal) => resolve({ code, signal }));
      },
    );
    const results = readResults(resultsFile);
    if (options.json) printJson(results);
    if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
    if (exit.code !== 0) return exit.code ?? 1;
    return results.some((result) => result.ok === false) ? 1 : 0;
  } finally {
    process.off("SIGINT", ignore);
    if (forward) process.off("SIGTERM", forward);
    rmSync(folder, { recursive: true, force: true });
  }
}

function readResults(file: string): { ok?: boolean }[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { ok?: boolean }];
      } catch {
        return [];
      }
    });
}
