import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { InvalidTaskError, TaskValidationError } from "../errors.js";
import { safeSegment } from "../util/safe-segment.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { LaunchContext, LaunchSpec, Task, TaskChanges, TaskConfig } from "./task.js";

const metaSchemas = new WeakSet<z.ZodType>();

/**
 * Marks a parameter as meta: it is passed to the task but left out of its identity (logging verbosity,
 * output paths, number of data-loader workers…), so changing it does not make the work new.
 */
export function meta<T extends z.ZodType>(schema: T): T {
  metaSchemas.add(schema);
  return schema;
}

/** What a task's `command` gets besides its parameters. */
export interface TaskContext extends LaunchContext {
  /** The job directory of a task this one depends on (where its outputs are). */
  dirOf(task: TypedTask): string;
}

/** Parameters as `command` sees them: a task used as a parameter becomes its job directory. */
export type ResolvedParams<P> = P extends TypedTask
  ? string
  : P extends readonly (infer E)[]
    ? ResolvedParams<E>[]
    : P extends Record<string, unknown>
      ? { [K in keyof P]: ResolvedParams<P[K]> }
      : P;

export interface TaskDefinitionOptions<S extends z.ZodObject> {
  readonly params: S;
  /** The command line (argv, or a shell string run by bash) for given parameters. */
  readonly command: (params: ResolvedParams<z.output<S>>, context: TaskContext) => readonly string[] | string;
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the jobs (default: the current directory when the task is defined). */
  readonly cwd?: string;
}

/** A typed task: call it with parameters to get a task instance. */
export interface TaskDefinition<S extends z.ZodObject> {
  (params: z.input<S>): TypedTask<z.output<S>>;
  readonly taskName: string;
  readonly schema: S;
  /** A parameter type: an instance of this task, whose job directory the dependent gets (and waits for). */
  output(): z.ZodType<TypedTask<z.output<S>>>;
}

/**
 * Defines a task with typed parameters (experimaestro's model). Its instances have an identity, the sha256
 * of the task name and the canonical JSON of the parameters (defaults applied, `meta` fields left out), so
 * the same work is found again: a COMPLETED job with the same identity is reused instead of run again.
 *
 * @example
 * const Prepare = defineTask("prepare", { params: z.object({ n: z.number() }), command: (p, ctx) => ["python", "prep.py", `--n=${p.n}`, `--out=${ctx.jobDir}`] });
 * const Train = defineTask("train", {
 *   params: z.object({ lr: z.number(), epochs: z.number().default(10), data: Prepare.output(), verbose: meta(z.boolean().default(false)) }),
 *   command: (p, ctx) => ["python", "train.py", `--lr=${p.lr}`, `--data=${p.data}`, `--out=${ctx.jobDir}`],
 * });
 * exp.add(Train({ lr: 1e-3, data: Prepare({ n: 100 }) })); // adds prepare too, as a dependency
 */
export function defineTask<S extends z.ZodObject>(
  name: string,
  options: TaskDefinitionOptions<S>,
): TaskDefinition<S> {
  if (!name.trim()) throw new InvalidTaskError("A task needs a name.");
  const cwd = resolve(options.cwd ?? process.cwd());
  const definition = ((input: z.input<S>) => {
    const parsed = options.params.safeParse(input);
    if (!parsed.success) throw new TaskValidationError(name, parsed.error.issues);
    return new TypedTask(
      definition as TaskDefinition<z.ZodObject>,
      parsed.data as Record<string, unknown>,
      options as never,
      cwd,
    );
  }) as TaskDefinition<S>;
  Object.defineProperties(definition, {
    taskName: { value: name },
    schema: { value: options.params },
    output: {
      value: () =>
        z.custom<TypedTask>((value) => value instanceof TypedTask && value.definition === definition, {
          message: `expected an instance of task "${name}" (call ${name}(…))`,
        }),
    },
  });
  return definition;
}

/** An instance of a typed task: parameters, identity, and the tasks it depends on. */
export class TypedTask<P extends Record<string, unknown> = Record<string, unknown>> implements Task {
  readonly kind = "typed";
  readonly reusable = true;
  readonly definition: TaskDefinition<z.ZodObject>;
  readonly params: Readonly<P>;
  readonly identity: string;
  readonly #options: TaskDefinitionOptions<z.ZodObject> & { readonly extraArgs?: readonly string[] };
  readonly #cwd: string;

  constructor(
    definition: TaskDefinition<z.ZodObject>,
    params: P,
    options: TaskDefinitionOptions<z.ZodObject> & { readonly extraArgs?: readonly string[] },
    cwd: string,
  ) {
    this.definition = definition;
    this.params = Object.freeze(params);
    this.#options = options;
    this.#cwd = cwd;
    this.identity = sha256Hex(
      canonicalJson({ task: definition.taskName, params: identityView(params, definition.schema) }),
    );
  }

  get name(): string {
    return this.definition.taskName;
  }

  /** The task instances among the parameters (at any depth), in order. */
  dependencies(): TypedTask[] {
    const found: TypedTask[] = [];
    walk(this.params, (value) => {
      if (value instanceof TypedTask) found.push(value);
    });
    return found;
  }

  toConfig(): TaskConfig {
    return {
      kind: this.kind,
      name: this.name,
      identity: this.identity,
      params: jsonView(this.params) as Record<string, unknown>,
    };
  }

  validate(): void {
    // Parameters were checked when the instance was made; the command is checked when it runs.
  }

  launchSpec(context: LaunchContext): LaunchSpec {
    const jobsRoot = dirname(dirname(context.jobDir));
    const dirOf = (task: TypedTask) => join(jobsRoot, safeSegment(task.name), task.identity);
    const resolved = mapTasks(this.params, dirOf);
    const command = this.#options.command(resolved as never, { ...context, dirOf });
    const argv = typeof command === "string" ? ["bash", "-c", command] : [...command];
    if (argv.length === 0) throw new InvalidTaskError(`Task "${this.name}" gave an empty command.`);
    return {
      argv: [...argv, ...(this.#options.extraArgs ?? [])],
      env: { ...this.#options.env },
      cwd: this.#cwd,
      files: [{ name: "params.json", content: `${JSON.stringify(jsonView(this.params), null, 2)}\n` }],
    };
  }

  with(changes: TaskChanges): TypedTask<P> {
    // Plugins change how the job runs, not what it computes: the identity stays.
    return new TypedTask(
      this.definition,
      this.params,
      {
        ...this.#options,
        env: { ...this.#options.env, ...changes.env },
        extraArgs: [...(this.#options.extraArgs ?? []), ...(changes.args ?? [])],
      },
      this.#cwd,
    );
  }
}

/** The parameters that make the identity: meta fields dropped, tasks replaced by their identity. */
function identityView(value: unknown, schema?: z.ZodType): unknown {
  if (value instanceof TypedTask) return { $task: value.name, $identity: value.identity };
  if (Array.isArray(value)) return value.map((item) => identityView(item, elementSchema(schema)));
  if (value !== null && typeof value === "object") {
    const shape = objectShape(schema);
    const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => {
      const field = shape?.[key];
      return !(field && isMeta(field));
    });
    return Object.fromEntries(entries.map(([key, v]) => [key, identityView(v, shape?.[key])]));
  }
  return value;
}

function isMeta(schema: z.ZodType): boolean {
  let current: unknown = schema;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (metaSchemas.has(current as z.ZodType)) return true;
    current = (current as { def?: { innerType?: unknown } }).def?.innerType;
  }
  return false;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema as unknown;
  for (let depth = 0; depth < 5; depth++) {
    const inner = (current as { def?: { innerType?: unknown } } | undefined)?.def?.innerType;
    if (!inner) break;
    current = inner;
  }
  return current as z.ZodType | undefined;
}

function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

function elementSchema(schema: z.ZodType | undefined): z.ZodType | undefined {
  const inner = unwrap(schema);
  return inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
}

function jsonView(value: unknown): unknown {
  return mapTasks(value, (task) => ({ $task: task.name, $identity: task.identity }));
}

function mapTasks(value: unknown, replace: (task: TypedTask) => unknown): unknown {
  if (value instanceof TypedTask) return replace(value);
  if (Array.isArray(value)) return value.map((item) => mapTasks(item, replace));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapTasks(v, replace)]),
    );
  return value;
}

function walk(value: unknown, visit: (value: unknown) => void): void {
  visit(value);
  if (value instanceof TypedTask) return;
  if (Array.isArray(value)) for (const item of value) walk(item, visit);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) walk(v, visit);
}

/**
 * A typed task reopened from job.json in another process: its command cannot be rebuilt there (it is a
 * function), so the launch spec stored in job.json at launch is used instead.
 */
class StoredTypedTask implements Task {
  readonly kind = "typed";
  readonly reusable = true;
  readonly name: string;
  readonly identity: string;
  readonly #config: TaskConfig;

  constructor(config: TaskConfig) {
    this.#config = config;
    this.name = String(config.name);
    this.identity = String(config.identity);
  }

  toConfig(): TaskConfig {
    return this.#config;
  }

  validate(): void {}

  launchSpec(): LaunchSpec {
    throw new InvalidTaskError(
      `Task "${this.name}" was reopened from its record; its launch command is the one stored in job.json.`,
    );
  }

  with(): Task {
    return this;
  }
}

/** Rebuilds a typed task from its record (the `typed` kind). */
export function storedTypedTask(config: TaskConfig): Task {
  return new StoredTypedTask(config);
}
