import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExperimentFileError } from "../../errors.js";
import type { LabrunError } from "../../errors.js";
import { rebuildError } from "../../store/http/rebuild-error.js";
import { defaultPython, engineEnv, pythonPathWith } from "../../util/engine-paths.js";
import type { RunMode } from "../run-mode.js";
import { parsePlan } from "./parse-plan.js";
import type { Plan } from "./plan-schema.js";

/** What the experiment.py planner gets (docs/plan-protocol.md, "The experiment.py planner"). */
export interface PlannerRequest {
  readonly experimentFile: string;
  readonly module: string | null;
  /** The merged YAML configuration. */
  readonly configuration: unknown;
  readonly runMode: RunMode;
  /** The workspace root. */
  readonly workdir: string;
  /** The experiment's title (the YAML id, with its timestamp when `add_timestamp`). */
  readonly title: string;
  readonly pythonpath: readonly string[];
  readonly mockModules: readonly string[];
  readonly preExperiment: string | null;
  readonly cwd: string;
  readonly yamlFiles: readonly string[];
}

/**
 * Runs `python -m labrun.experiments._plan` on the request and returns the plan it prints. A typed error of
 * the planner (a configuration key of the wrong type…) comes back as the same class; any other failure (an
 * exception in the experiment file: its traceback is already on stderr) is an `ExperimentFileError`.
 */
export async function planWithPython(request: PlannerRequest): Promise<Plan> {
  const folder = mkdtempSync(join(tmpdir(), "labrun-plan-"));
  const requestFile = join(folder, "request.json");
  writeFileSync(requestFile, JSON.stringify({ labrunPlanRequest: 1, ...request }));
  const python = defaultPython();
  try {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(python, ["-m", "labrun.experiments._plan", requestFile], {
        cwd: request.cwd,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, ...engineEnv(), PYTHONPATH: pythonPathWith(request.pythonpath) },
      });
      const chunks: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "ENOENT"
            ? new ExperimentFileError(
                `Python interpreter "${python}" was not found to plan ${request.experimentFile}. Install Python 3, or set LABRUN_PYTHON.`,
                { details: { python } },
              )
            : error,
        ),
      );
      child.once("close", (exitCode) =>
        resolve({ code: exitCode, stdout: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    if (code === 0) return parsePlan(stdout, `The plan of ${request.experimentFile}`);
    throw (
      typedFailure(stdout) ??
      new ExperimentFileError(
        `${request.experimentFile} failed while planning (exit code ${code}); its traceback is above. Nothing was launched.`,
        { details: { file: request.experimentFile, exitCode: code } },
      )
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function typedFailure(stdout: string): LabrunError | undefined {
  for (const line of stdout.split("\n").reverse()) {
    if (!line.trim()) continue;
    try {
      const wire = (
        JSON.parse(line) as { labrunError?: { code?: unknown; message?: unknown; details?: unknown } }
      ).labrunError;
      if (wire) return rebuildError(400, wire);
    } catch {
      // not the error line
    }
  }
  return undefined;
}
