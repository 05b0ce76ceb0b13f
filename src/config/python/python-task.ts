import { dirname, join, resolve } from "node:path";
import { InvalidTaskError } from "../../errors.js";
import { safeSegment } from "../../util/safe-segment.js";
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
import { mapReferences, outputReferences, typedTaskIdentity } from "./python-task-identity.js";
import type { OutputReference } from "./python-task-identity.js";

export interface PythonTaskOptions extends PythonLocation {
  /** The task's identifier (`@task("my.train")`): the first part of its identity and its folder under `jobs/`. */
  readonly taskId: string;
  /** Qualified name of the task class in its module. */
  readonly qualname: string;
  /** Every parameter (meta ones too), defaults applied; other tasks' outputs as `{ $task, $identity, $path? }`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Key paths left out of the identity (`[["verbose"]]`; `"*"` for every list element). */
  readonly meta?: readonly (readonly string[])[];
  /** The identity the client computed: checked against the engine's own. */
  readonly identity?: string;
}

/**
 * A typed task defined in Python (`@task("my.train") class Train(Task)`), as the Python client plans it. Its
 * identity is the one `defineTask` gives the same id and parameters, so a COMPLETED job is reused whichever
 * language planned it. The job builds the instance from its parameters and calls `execute()`.
 */
export class PythonTask implements Task {
  readonly kind = "python-task";
  readonly reusable = true;
  readonly identity: string;
  readonly taskId: string;
  readonly qualname: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly meta: readonly (readonly string[])[];
  readonly location: ResolvedLocation;

  constructor(options: PythonTaskOptions) {
    if (!options.taskId?.trim()) throw new InvalidTaskError("A Python task needs its `taskId`.");
    const what = `Task ${options.taskId}`;
    checkQualname(options.qualname, what);
    this.taskId = options.taskId;
    this.qualname = options.qualname;
    this.location = resolveLocation(options, what);
    this.params = Object.freeze(
      checkJson({ ...options.params }, `${what}: parameters`) as Record<string, unknown>,
    );
    this.meta = Object.freeze((options.meta ?? []).map((path) => Object.freeze([...path])));
    this.identity = typedTaskIdentity(this.taskId, this.params, this.meta);
    if (options.identity !== undefined && options.identity !== this.identity)
      throw new InvalidTaskError(
        `${what}: the client computed identity ${options.identity}, the engine ${this.identity}. The Python ` +
          "client and the engine disagree on identities: install matching versions, and report it if they match.",
        { details: { client: options.identity, engine: this.identity } },
      );
  }

  get name(): string {
    return this.taskId;
  }

  /** The other tasks' outputs among the parameters (each is a dependency). */
  references(): OutputReference[] {
    return outputReferences(this.params);
  }

  toConfig(): TaskConfig {
    return {
      kind: this.kind,
      name: this.name,
      taskId: this.taskId,
      qualname: this.qualname,
      ...locationConfig(this.location),
      params: this.params,
      meta: this.meta.map((path) => [...path]),
      identity: this.identity,
    };
  }

  validate(): void {
    validateLocation(this.location);
  }

  launchSpec(context: LaunchContext): LaunchSpec {
    // The upstream job directories sit beside this one: jobs/<task>/<identity>/.
    const jobsRoot = dirname(dirname(context.jobDir));
    const resolved = mapReferences(this.params, (reference) => {
      const dir = join(jobsRoot, safeSegment(reference.task), reference.identity);
      return reference.path === undefined ? dir : resolve(dir, reference.path);
    });
    const call = {
      kind: "task",
      qualname: this.qualname,
      taskId: this.taskId,
      params: resolved,
      identity: this.identity,
    };
    return runnerLaunchSpec(this.location, context.jobDir, call, [
      { name: "params.json", content: `${JSON.stringify(this.params, null, 2)}\n` },
    ]);
  }

  with(changes: TaskChanges): PythonTask {
    if (changes.args?.length)
      throw new InvalidTaskError(
        "A Python task takes its parameters as values; plugins can only add `env` to it.",
      );
    // Plugins change how the job runs, not what it computes: the identity stays.
    return new PythonTask({ ...this.toOptions(), env: { ...this.location.env, ...changes.env } });
  }

  private toOptions(): PythonTaskOptions {
    return {
      ...this.location,
      taskId: this.taskId,
      qualname: this.qualname,
      params: this.params,
      meta: this.meta,
    };
  }
}
