import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidTaskError, TaskCannotStartError } from "../../errors.js";
import { defaultPython, pythonPathWith } from "../../util/engine-paths.js";
import { which } from "../../util/which.js";
import type { LaunchSpec } from "../task.js";
import { compileRunnerOnce } from "./runner-bytecode.js";

/** Where a Python callable is and how to run it: fields common to `python-partial` and `python-task`. */
export interface PythonLocation {
  /** An importable dotted module name (`pkg.steps`). Exclusive with `file`. */
  readonly module?: string;
  /** A `.py` file (relative paths resolve against `cwd`). Exclusive with `module`. */
  readonly file?: string;
  /** Interpreter; default `$LABRUN_PYTHON`, else `python3`. */
  readonly python?: string;
  /** Folders put on the job's PYTHONPATH (after the shipped labrun client), relative to `cwd`. */
  readonly pythonpath?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the job (default: the current directory). */
  readonly cwd?: string;
}

/** A `PythonLocation` with defaults applied and paths made absolute, frozen. */
export interface ResolvedLocation {
  readonly module?: string;
  readonly file?: string;
  readonly python: string;
  readonly pythonpath: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export function resolveLocation(options: PythonLocation, what: string): ResolvedLocation {
  if ((options.module === undefined) === (options.file === undefined))
    throw new InvalidTaskError(
      `${what} needs exactly one of \`module\` (an importable module name) or \`file\` (a .py file).`,
    );
  if (options.module !== undefined && !/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(options.module))
    throw new InvalidTaskError(
      `${what}: "${options.module}" is not an importable module name (like pkg.steps).`,
      { details: { module: options.module } },
    );
  const cwd = resolve(options.cwd ?? process.cwd());
  return Object.freeze({
    ...(options.module === undefined ? {} : { module: options.module }),
    ...(options.file === undefined ? {} : { file: resolve(cwd, options.file) }),
    python: options.python ?? defaultPython(),
    pythonpath: Object.freeze((options.pythonpath ?? []).map((folder) => resolve(cwd, folder))),
    env: Object.freeze({ ...(options.env ?? {}) }),
    cwd,
  });
}

/** A qualified name a job can import: no lambda, no function defined inside another. */
export function checkQualname(qualname: string, what: string): void {
  if (qualname.includes("<lambda>") || qualname.includes("<locals>") || !/^[A-Za-z_][\w.]*$/.test(qualname))
    throw new InvalidTaskError(
      `${what}: "${qualname}" cannot be imported by the job (a lambda or a function defined inside another). ` +
        "Define it at the top level of a module.",
      { details: { qualname } },
    );
}

export function validateLocation(location: ResolvedLocation): void {
  const { cwd, file, python } = location;
  if (!existsSync(cwd) || !statSync(cwd).isDirectory())
    throw new TaskCannotStartError(
      `Working directory ${cwd} does not exist`,
      "Create it or pass another `cwd`.",
      {
        cwd,
      },
    );
  if (file !== undefined && !existsSync(file))
    throw new TaskCannotStartError(
      `Python file ${file} does not exist`,
      "Check `file`; a relative path is resolved against the task's `cwd`.",
      { file },
    );
  if (!foundInterpreter(python, cwd))
    throw new TaskCannotStartError(
      `Python interpreter "${python}" was not found`,
      "Install Python 3, or set LABRUN_PYTHON (or the task's `python`) to an interpreter that exists.",
      { python },
    );
}

const interpreters = new Set<string>();

/** `which`, remembered once found: a plan of 1,000 Python jobs would otherwise search PATH 2,000 times. */
function foundInterpreter(python: string, cwd: string): boolean {
  const key = `${python}\0${python.includes("/") ? cwd : ""}\0${process.env.PATH ?? ""}`;
  if (interpreters.has(key)) return true;
  if (!which(python, cwd)) return false;
  interpreters.add(key);
  return true;
}

/**
 * The runner's entry: `-c` rather than `-m labrun._job_runner`, which would import runpy and importlib.util
 * (~4 ms of every job's start-up) to find the module.
 */
export const jobRunnerCode = "import sys; from labrun._job_runner import main; sys.exit(main())";

/**
 * How a job runs a Python callable: `<python> -c <jobRunnerCode> call.json` with PYTHONPATH = shipped
 * client, task folders, cwd, then the driver's. `call` is what the runner calls (its `labrunCall` version, the
 * location's module or file are added here); `extraFiles` go into the job directory beside call.json.
 */
export function runnerLaunchSpec(
  location: ResolvedLocation,
  jobDir: string,
  call: Readonly<Record<string, unknown>>,
  extraFiles: LaunchSpec["files"] = [],
): LaunchSpec {
  const content = { labrunCall: 1, ...call, module: location.module ?? null, file: location.file ?? null };
  const own = location.env.PYTHONPATH;
  compileRunnerOnce(location.python);
  return {
    argv: [location.python, "-c", jobRunnerCode, join(jobDir, "call.json")],
    env: {
      ...location.env,
      PYTHONPATH: pythonPathWith([...location.pythonpath, location.cwd], own ?? process.env.PYTHONPATH),
    },
    cwd: location.cwd,
    files: [{ name: "call.json", content: `${JSON.stringify(content, null, 2)}\n` }, ...extraFiles],
  };
}

export function locationConfig(location: ResolvedLocation): Record<string, unknown> {
  const { module, file, python, pythonpath, env, cwd } = location;
  return { module, file, python, pythonpath: [...pythonpath], env: { ...env }, cwd };
}
