import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ExperimentFileError } from "../../errors.js";
import { runResults } from "../../experiment/run-results.js";
import { printJson } from "../output.js";
import { runPythonFile } from "./run-python-file.js";

/**
 * `labrun run experiment.ts`: runs a TypeScript (or JavaScript) experiment file in this process, or a Python
 * one (`.py`) with the Python client (see `runPythonFile`). Exits non-zero when any experiment it ran did not
 * complete.
 */
export async function runExperimentFile(
  file: string,
  args: readonly string[] = [],
  options: { json?: boolean } = {},
): Promise<number> {
  const path = resolve(file);
  if (!existsSync(path))
    throw new ExperimentFileError(
      `Experiment file ${path} does not exist. Pass the path of a .ts, .js or .py file.`,
    );
  if (extname(path) === ".py") return runPythonFile(path, args, options);
  const url = pathToFileURL(path).href;
  // The file sees itself as the script being run, with its own arguments.
  process.argv = [process.argv[0]!, path, ...args];
  try {
    if (/\.(ts|mts|cts|tsx)$/.test(path)) {
      const { tsImport } = await import("tsx/esm/api");
      await tsImport(url, import.meta.url);
    } else {
      await import(url);
    }
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === undefined && !("details" in error))
      error.message = `${file}: ${error.message}`;
    throw error;
  }
  const results = runResults();
  if (options.json) printJson(results);
  return results.some((result) => !result.ok) ? 1 : 0;
}
