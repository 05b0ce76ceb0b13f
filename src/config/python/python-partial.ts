import { basename, extname } from "node:path";
import { InvalidTaskError } from "../../errors.js";
import { canonicalJson, sha256Hex } from "../canonical-json.js";
import type { LaunchContext, LaunchSpec, Task, TaskChanges, TaskConfig } from "../task.js";
import { checkJson } from "./json-check.js";
import {
  checkQualname,
  locationConfig,
  resolveLocation,
  runnerLaunchSpec,
  validateLocation,
} from "./python-common.js";
import type { PythonLocation, ResolvedLocation } from "./python-common.js";

export interface PythonPartialOptions extends PythonLocation {
  /** Qualified name of the function in the module (`train`, `Trainer.fit` for a static method). */
  readonly function: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Default job name: `<module or file stem>.<function>`. */
  readonly name?: string;
}

/**
 * A Python function called with JSON arguments in a job (NeMo-Run's `run.Partial(fn, *args, **kwargs)`, as the
 * Python client plans it): `<python> -c "…labrun._job_runner…" call.json`. A JSON-serialisable return value is
 * written to `result.json`. Not reusable, as a TypeScript `Partial`.
 *
 * @example
 * exp.add(new PythonPartial({ file: "sweep.py", function: "train", kwargs: { lr: 0.1 } }), { name: "train" });
 */
export class PythonPartial implements Task {
  readonly kind = "python-partial";
  readonly reusable = false;
  readonly name: string;
  readonly identity: string;
  readonly location: ResolvedLocation;
  readonly function: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;

  constructor(options: PythonPartialOptions) {
    const what = `Partial ${options.function}`;
    checkQualname(options.function, what);
    this.location = resolveLocation(options, what);
    this.function = options.function;
    this.args = Object.freeze(checkJson([...(options.args ?? [])], `${what}: arguments`) as unknown[]);
    this.kwargs = Object.freeze(
      checkJson({ ...(options.kwargs ?? {}) }, `${what}: keyword arguments`) as Record<string, unknown>,
    );
    const { module, file } = this.location;
    this.name = options.name ?? `${module ?? basename(file!, extname(file!))}.${options.function}`;
    this.identity = sha256Hex(canonicalJson(this.toConfig()));
  }

  toConfig(): TaskConfig {
    return {
      kind: this.kind,
      name: this.name,
      ...locationConfig(this.location),
      function: this.function,
      args: [...this.args],
      kwargs: { ...this.kwargs },
    };
  }

  validate(): void {
    validateLocation(this.location);
  }

  launchSpec(context: LaunchContext): LaunchSpec {
    return runnerLaunchSpec(this.location, context.jobDir, {
      kind: "partial",
      function: this.function,
      args: this.args,
      kwargs: this.kwargs,
    });
  }

  with(changes: TaskChanges): PythonPartial {
    if (changes.args?.length)
      throw new InvalidTaskError(
        "A Python Partial takes its arguments as values; plugins can only add `env` to it.",
      );
    return new PythonPartial({
      ...this.location,
      function: this.function,
      args: this.args,
      kwargs: this.kwargs,
      name: this.name,
      env: { ...this.location.env, ...changes.env },
    });
  }
}
