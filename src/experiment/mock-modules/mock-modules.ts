import { existsSync } from "node:fs";
import { createRequire, register } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ExperimentFileError, ExperimentStateError } from "../../errors.js";
import { createFake } from "./fake-module.js";
import type { MockHooksData } from "./hooks.js";

export interface MockModulesOptions {
  /**
   * Paths inside the mocked modules that must act as pass-through decorators, `(x) => x`: the module, then
   * its members, separated by `.` (a submodule by `/` or `.`): `"torch.compile"`, `"torch.jit.script"`,
   * `"@tensorflow/tfjs.tidy"`.
   */
  readonly decorators?: readonly string[];
}

/** What `mockModules` returns. */
export interface MockedModules {
  /** Every module mocked in this process so far. */
  readonly modules: readonly string[];
  /** True while imports of mocked modules give fakes. */
  readonly active: boolean;
  /** Ends mocking in this process: later imports get the real modules (those already imported stay fakes). */
  end(): void;
}

/** Shared by every copy of labrun in the process, since fakes are made by the copy that mocked first. */
interface MockRegistry {
  readonly version: 1;
  /** Element 0: 1 while mocking is on; shared with the hooks thread. */
  readonly flag: Int32Array;
  readonly modules: Set<string>;
  /** Modules whose ESM hooks are registered. */
  readonly hooked: Set<string>;
  /** Paths (joined with NUL) of the fakes that are pass-through decorators. */
  readonly decorators: Set<string>;
  fakeModule(specifier: string): unknown;
}

const registryKey = Symbol.for("labrun.mockModules");

/**
 * Makes the named modules (and their submodules: `torch` covers `torch/nn`) resolve to inert fakes, so
 * that configuring an experiment does not pay for heavy imports (experimaestro's `mock_modules`). Call it
 * from a `pre_experiment` file: `labrun run-experiment` ends mocking once the experiment file's `run` has
 * returned, and jobs, which are separate processes, import the real modules.
 *
 * A fake accepts any property access, call and `new`, giving another fake; classes may extend fakes; the
 * paths in `decorators` return what they decorate. Works for `import` (static and dynamic) and `require`.
 *
 * @example
 * // pre_experiment.ts
 * import { mockModules } from "labrun";
 * mockModules(["@tensorflow/tfjs-node", "onnxruntime-node"], { decorators: ["@tensorflow/tfjs-node.tidy"] });
 */
export function mockModules(modules: readonly string[], options: MockModulesOptions = {}): MockedModules {
  checkModuleNames(modules);
  const registry = mockRegistry();
  for (const name of modules) registry.modules.add(name);
  const decoratorKeys = (options.decorators ?? []).map((name) => decoratorKey(registry.modules, name));
  for (const key of decoratorKeys) registry.decorators.add(key);
  const unhooked = modules.filter((name) => !registry.hooked.has(name));
  if (unhooked.length > 0) {
    const data: MockHooksData = { flag: registry.flag.buffer as SharedArrayBuffer, modules: unhooked };
    register(hooksUrl(), { data });
    for (const name of unhooked) registry.hooked.add(name);
  }
  Atomics.store(registry.flag, 0, 1);
  return {
    get modules() {
      return [...registry.modules];
    },
    get active() {
      return Atomics.load(registry.flag, 0) === 1;
    },
    end: endMockModules,
  };
}

/** Ends mocking in this process, if anything mocked modules. */
export function endMockModules(): void {
  const registry = (globalThis as Record<symbol, MockRegistry | undefined>)[registryKey];
  if (registry) Atomics.store(registry.flag, 0, 0);
}

function mockRegistry(): MockRegistry {
  const global = globalThis as Record<symbol, MockRegistry | undefined>;
  const existing = global[registryKey];
  if (existing) return existing;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const modules = new Set<string>();
  const decorators = new Set<string>();
  const roots = new Map<string, unknown>();
  const isDecorator = (path: readonly string[]) => decorators.has(path.join("\0"));
  const registry: MockRegistry = {
    version: 1,
    flag,
    modules,
    hooked: new Set(),
    decorators,
    fakeModule(specifier) {
      const [root, ...members] = specifierPath(modules, specifier);
      if (!roots.has(root!)) roots.set(root!, createFake([root!], isDecorator));
      let fake = roots.get(root!);
      for (const member of members) fake = (fake as Record<string, unknown>)[member];
      return fake;
    },
  };
  global[registryKey] = registry;
  patchRequire(registry);
  return registry;
}

/** `require()` does not go through ESM hooks: CommonJS code gets its fakes here. */
function patchRequire(registry: MockRegistry): void {
  const Module = createRequire(import.meta.url)("node:module") as {
    _load: (request: string, ...rest: unknown[]) => unknown;
  };
  const load = Module._load;
  Module._load = function (this: unknown, request: string, ...rest: unknown[]) {
    if (Atomics.load(registry.flag, 0) === 1 && rootOf(registry.modules, request) !== undefined)
      return registry.fakeModule(request);
    return load.call(this, request, ...rest);
  };
}

/** The mocked module a specifier belongs to: the shortest name it equals or sits under (`torch` for `torch/nn`). */
function rootOf(modules: ReadonlySet<string>, specifier: string): string | undefined {
  let root: string | undefined;
  for (const name of modules)
    if ((specifier === name || specifier.startsWith(`${name}/`)) && (!root || name.length < root.length))
      root = name;
  return root;
}

/** `torch/nn/functional` → `["torch", "nn", "functional"]`. */
function specifierPath(modules: ReadonlySet<string>, specifier: string): string[] {
  const root = rootOf(modules, specifier);
  if (root === undefined) throw new ExperimentStateError(`${specifier} is not a mocked module.`);
  return [root, ...specifier.slice(root.length).split("/").filter(Boolean)];
}

/** `torch.jit.script` (or `torch/jit.script`) → the key of the fake `["torch", "jit", "script"]`. */
function decoratorKey(modules: ReadonlySet<string>, name: string): string {
  let module: string | undefined;
  for (const candidate of modules)
    for (const specifier of [candidate, ...subpathsOf(name, candidate)])
      if (
        (name === specifier || name.startsWith(`${specifier}.`)) &&
        (!module || specifier.length > module.length)
      )
        module = specifier;
  if (module === undefined)
    throw new ExperimentFileError(
      `mockModules: decorator "${name}" is not inside a mocked module (${[...modules].join(", ")}). ` +
        `Name it as module.member, e.g. "${[...modules][0] ?? "torch"}.compile".`,
      { details: { decorator: name, modules: [...modules] } },
    );
  const members = name.slice(module.length).split(".").filter(Boolean);
  return [...specifierPath(modules, module), ...members].join("\0");
}

/** The submodule specifiers `name` may start with: for `torch/jit.script`, `torch/jit`. */
function subpathsOf(name: string, module: string): string[] {
  if (!name.startsWith(`${module}/`)) return [];
  const rest = name.slice(module.length + 1).split(".")[0]!;
  return [`${module}/${rest}`];
}

function checkModuleNames(modules: readonly string[]): void {
  if (!Array.isArray(modules) || modules.length === 0)
    throw new ExperimentFileError(
      'mockModules needs a list of module names, e.g. mockModules(["@tensorflow/tfjs-node"]).',
    );
  for (const name of modules)
    if (typeof name !== "string" || !/^(@[^/\s]+\/)?[^./\s:\\][^\s:\\]*$/.test(name) || name.endsWith("/"))
      throw new ExperimentFileError(
        `mockModules: ${JSON.stringify(name)} is not a package name. Give bare module names such as ` +
          `"torch" or "@scope/pkg" (relative paths, URLs and node: built-ins cannot be mocked).`,
        { details: { module: name } },
      );
}

/**
 * The hooks file. labrun runs from `dist/` when installed and from `src/` in its own tests; Node's hooks
 * thread cannot load TypeScript, so from `src/` the built copy is used (`npm test` builds first).
 */
function hooksUrl(): URL {
  const url = new URL("./hooks.js", import.meta.url);
  if (existsSync(fileURLToPath(url))) return url;
  const source = fileURLToPath(url);
  const built = source.replace(/([\\/])src([\\/])(?!.*[\\/]src[\\/])/, "$1dist$2");
  if (built !== source && existsSync(built)) return pathToFileURL(built);
  throw new ExperimentStateError(
    `mockModules cannot find its module hooks at ${source}${built !== source ? ` or ${built}` : ""}. ` +
      "Build labrun (npm run build) and run again.",
  );
}
