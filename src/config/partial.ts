import { existsSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidTaskError, TaskCannotStartError } from "../errors.js";
import { needsTypeScriptLoader, nodeEntry, tsxLoaderUrl } from "../util/node-entry.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { LaunchContext, LaunchSpec, Task, TaskChanges, TaskConfig } from "./task.js";

export interface PartialOptions {
  /** Path or file URL of a TS/JS module (relative paths resolve against `cwd`). */
  readonly module: string;
  /** Name of the exported function; `default` when omitted. */
  readonly fn?: string;
  /** JSON-serialisable arguments the function is called with. */
  readonly args?: readonly unknown[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly name?: string;
}

/**
 * An exported function of a TypeScript or JavaScript module called with arguments, in a child process
 * (NeMo-Run's `run.Partial`). Its return value, when JSON-serialisable, is written to `result.json`.
 *
 * @example
 * exp.add(new Partial({ module: "./steps.ts", fn: "train", args: [{ lr: 1e-3 }] }), { name: "train" });
 */
export class Partial implements Task {
  readonly kind = "partial";
  readonly reusable = false;
  readonly options: Readonly<Required<PartialOptions>>;
  readonly identity: string;

  constructor(options: PartialOptions) {
    if (!options.module)
      throw new InvalidTaskError("A Partial needs `module`: the file that exports the function.");
    const cwd = resolve(options.cwd ?? process.cwd());
    const modulePath = options.module.startsWith("file:")
      ? fileURLToPath(options.module)
      : resolve(cwd, options.module);
    const args = [...(options.args ?? [])];
    let argsJson: string;
    try {
      argsJson = JSON.stringify(args);
    } catch (error) {
      throw new InvalidTaskError(`Partial arguments must be JSON-serialisable: ${(error as Error).message}`);
    }
    if (JSON.stringify(JSON.parse(argsJson)) !== argsJson)
      throw new InvalidTaskError(
        "Partial arguments must be JSON-serialisable (no functions, undefined or class instances).",
      );
    const fn = options.fn ?? "default";
    this.options = Object.freeze({
      module: modulePath,
      fn,
      args: Object.freeze(JSON.parse(argsJson) as unknown[]),
      env: Object.freeze({ ...(options.env ?? {}) }),
      cwd,
      name: options.name ?? `${basename(modulePath, extname(modulePath))}.${fn}`,
    });
    this.identity = sha256Hex(canonicalJson(this.toConfig()));
  }

  get name(): string {
    return this.options.name;
  }

  toConfig(): TaskConfig {
    const { module, fn, args, env, cwd, name } = this.options;
    return { kind: this.kind, name, module, fn, args: [...args], env: { ...env }, cwd };
  }

  validate(): void {
    const { module, cwd } = this.options;
    if (!existsSync(cwd) || !statSync(cwd).isDirectory())
      throw new TaskCannotStartError(
        `Working directory ${cwd} does not exist`,
        "Create it or pass another `cwd`.",
        { cwd },
      );
    if (!existsSync(module))
      throw new TaskCannotStartError(
        `Partial module ${module} does not exist`,
        "Check `module`; a relative path is resolved against the Partial's `cwd` (default: the current directory).",
        { module },
      );
  }

  launchSpec(context: LaunchContext): LaunchSpec {
    const { module, fn, args, env, cwd } = this.options;
    const [node, ...runner] = nodeEntry(new URL("./partial-runner.js", import.meta.url));
    const loader =
      needsTypeScriptLoader(module) && !runner.includes("--import") ? ["--import", tsxLoaderUrl()] : [];
    const callFile = join(context.jobDir, "partial.json");
    return {
      argv: [node!, ...loader, ...runner, callFile],
      env,
      cwd,
      files: [{ name: "partial.json", content: JSON.stringify({ module, fn, args }, null, 2) }],
    };
  }

  async runInProcess(context: LaunchContext): Promise<void> {
    const { callPartial } = await import("./partial-call.js");
    await callPartial({ ...this.options, args: [...this.options.args] }, context.jobDir);
  }

  with(changes: TaskChanges): Partial {
    if (changes.args?.length)
      throw new InvalidTaskError(
        "A Partial takes its arguments as values; plugins can only add `env` to it.",
      );
    return new Partial({ ...this.options, env: { ...this.options.env, ...changes.env } });
  }
}
