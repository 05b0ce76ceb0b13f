import { resolve } from "node:path";
import { JobFilesService } from "../services/job-files-service.js";
import type { JobFilesSource } from "../services/job-files-service.js";
import { PythonService } from "../services/python-service.js";
import type { Service } from "../services/service.js";
import type { PlanDefaults } from "./build-plan.js";
import type { ServiceSpec } from "./plan-schema.js";

/**
 * The service a plan describes (version 2): a Python service run in its own process, with the plan's
 * interpreter, `PYTHONPATH` and `cwd` as defaults, or the job-files browser over `experiment`.
 */
export function serviceFromSpec(
  spec: ServiceSpec,
  defaults: PlanDefaults,
  experiment: JobFilesSource,
): Service {
  if (spec.kind === "job-files") {
    const { kind: _kind, ...options } = spec;
    return new JobFilesService(experiment, options);
  }
  const { kind: _kind, python, pythonpath, cwd, ...rest } = spec;
  return new PythonService({
    ...rest,
    ...(spec.file ? { file: resolve(defaults.cwd, spec.file) } : {}),
    cwd: resolve(defaults.cwd, cwd ?? "."),
    python: python ?? defaults.python,
    pythonpath: [
      ...(pythonpath ?? []).map((folder) => resolve(defaults.cwd, folder)),
      ...defaults.pythonpath,
    ],
  });
}
