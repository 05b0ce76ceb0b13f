import { existsSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { InvalidTaskError, TaskCannotStartError } from "../errors.js";
import { which, isExecutableFile } from "../util/which.js";
import { needsTypeScriptLoader, tsxLoaderUrl } from "../util/node-entry.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { LaunchContext, LaunchSpec, Task, TaskChanges, TaskConfig } from "./task.js";

export interface ScriptOptions {
  /** Shell commands, run by `entrypoint` (bash by default). Exclusive with `path`. */
  readonly inline?: string;
  /** A script file; its interpreter is chosen from the extension unless `entrypoint` is given. */
  readonly path?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the job; defaults to the directory the experiment was started from. */
  readonly cwd?: string;
  /** Interpreter command line, e.g. `"python3 -u"`; empty string runs `path` as an executable. */
  readonly entrypoint?: string;
  /** Default job name. */
  readonly name?: string;
}

const interpreterByExtension: Record<string, string> = {
  ".py": "python3",
  ".sh": "bash",
  ".bash": "bash",
  ".js": "node",
  ".mjs": "node",
  ".cjs": "node",
};

/**
 * A shell command or a script file with arguments (NeMo-Run's `run.Script`).
 *
 * @example
 * exp.add(new Script({ inline: "python prep.py" }), { name: "prep" });
 * exp.add(new Script({ path: "train.py", args: ["--lr=1e-3"], env: { SEED: "1" } }));
 */
export class Script implements Task {
  readonly kind = "script";
  readonly reusable = false;
  readonly options: Readonly<Required<Omit<ScriptOptions, "inline" | "path" | "entrypoint">>> & {
    readonly inline?: string;
    readonly path?: string;
    readonly entrypoint: string;
  };
  readonly identity: string;

  constructor(options: ScriptOptions) {
    if ((options.inline === undefined) === (options.path === undefined))
      throw new InvalidTaskError(
        "A Script needs exactly one of `inline` (shell commands) or `path` (a file).",
      );
    if (options.inline !== undefined && options.inline.trim() === "")
      throw new InvalidTaskError("Script `inline` is empty; give the shell commands to run.");
    const cwd = resolve(options.cwd ?? process.cwd());
    const path = options.path === undefined ? undefined : resolve(cwd, options.path);
    const entrypoint = options.entrypoint ?? (path === undefined ? "bash" : defaultEntrypoint(path));
    this.options = Object.freeze({
      ...(options.inline === undefined ? {} : { inline: options.inline }),
      ...(path === undefined ? {} : { path }),
      args: Object.freeze([...(options.args ?? [])]),
      env: Object.freeze({ ...(options.env ?? {}) }),
      cwd,
      entrypoint,
      name: options.name ?? (path === undefined ? "script" : basename(path)),
    });
    this.identity = sha256Hex(canonicalJson(this.toConfig()));
  }

  get name(): string {
    return this.options.name;
  }

  toConfig(): TaskConfig {
    const { inline, path, args, env, cwd, entrypoint, name } = this.options;
    return { kind: this.kind, name, inline, path, args: [...args], env: { ...env }, cwd, entrypoint };
  }

  validate(): void {
    const { path, cwd, entrypoint } = this.options;
    if (!existsSync(cwd) || !statSync(cwd).isDirectory())
      throw new TaskCannotStartError(
        `Working directory ${cwd} does not exist`,
        "Create it or pass another `cwd`.",
        { cwd },
      );
    if (path !== undefined && !existsSync(path))
      throw new TaskCannotStartError(
        `Script file ${path} does not exist`,
        "Check the path; a relative `path` is resolved against the Script's `cwd` (default: the current directory).",
        { path },
      );
    const program = entrypointArgv(entrypoint)[0];
    if (program !== undefined) {
      if (!which(program, cwd))
        throw new TaskCannotStartError(
          `Interpreter "${program}" for ${path ?? "the inline script"} is not on PATH`,
          "Install it, or set the Script's `entrypoint` to an interpreter that exists.",
          { entrypoint },
        );
    } else if (path !== undefined && !isExecutableFile(path)) {
      throw new TaskCannotStartError(
        `${path} has no known interpreter and is not executable`,
        `Run \`chmod +x ${path}\` or set the Script's \`entrypoint\` (e.g. "python3").`,
        { path },
      );
    }
  }

  launchSpec(context: LaunchContext): LaunchSpec {
    const { inline, path, args, env, cwd, entrypoint } = this.options;
    const interpreter = entrypointArgv(entrypoint);
    if (inline !== undefined) {
      const file = join(context.jobDir, "inline.sh");
      return {
        argv: [...interpreter, file, ...args],
        env,
        cwd,
        files: [{ name: "inline.sh", content: inline }],
      };
    }
    return { argv: [...interpreter, path!, ...args], env, cwd, files: [] };
  }

  with(changes: TaskChanges): Script {
    const { inline, path, args, env, cwd, entrypoint, name } = this.options;
    return new Script({
      ...(inline === undefined ? { path: path! } : { inline }),
      args: [...args, ...(changes.args ?? [])],
      env: { ...env, ...changes.env },
      cwd,
      entrypoint,
      name,
    });
  }
}

function defaultEntrypoint(path: string): string {
  const extension = extname(path);
  if (needsTypeScriptLoader(path)) return `node --import ${tsxLoaderUrl()}`;
  return interpreterByExtension[extension] ?? "";
}

function entrypointArgv(entrypoint: string): string[] {
  return entrypoint.split(/\s+/).filter((part) => part.length > 0);
}
