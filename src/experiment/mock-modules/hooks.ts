/**
 * Node module customization hooks (registered by `mockModules` with `module.register`; they run on Node's
 * hooks thread). While the shared flag is set, an import of a mocked module, or of one of its
 * submodules, resolves to a `labrun-mock:` URL whose source re-exports a fake made on the main thread,
 * with every name the importing file asks for. Otherwise they pass everything on unchanged.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { importedNames } from "./import-scan.js";

export interface MockHooksData {
  /** `Int32Array` view, element 0: 1 while mocking is on. Shared with the main thread. */
  readonly flag: SharedArrayBuffer;
  /** The module names these hooks mock (each with its submodules). */
  readonly modules: readonly string[];
}

interface ResolveContext {
  readonly parentURL?: string;
}
interface ResolveResult {
  readonly url: string;
  readonly format?: string;
  readonly shortCircuit?: boolean;
}
interface LoadResult {
  readonly format: string;
  readonly source?: string | ArrayBuffer | Uint8Array;
  readonly shortCircuit?: boolean;
}

const scheme = "labrun-mock:";
let active: Int32Array | undefined;
let modules: readonly string[] = [];

export function initialize(data: MockHooksData): void {
  active = new Int32Array(data.flag);
  modules = data.modules;
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  if (!active || Atomics.load(active, 0) !== 1 || !isMocked(specifier))
    return nextResolve(specifier, context);
  const names = namesWanted(context.parentURL, specifier);
  return {
    url: `${scheme}${encodeURIComponent(specifier)}?names=${names.join(",")}`,
    format: "module",
    shortCircuit: true,
  };
}

export async function load(
  url: string,
  context: unknown,
  nextLoad: (url: string, context: unknown) => Promise<LoadResult>,
): Promise<LoadResult> {
  if (!url.startsWith(scheme)) return nextLoad(url, context);
  const parsed = new URL(url);
  const specifier = decodeURIComponent(parsed.pathname);
  const names = (parsed.searchParams.get("names") ?? "").split(",").filter(Boolean);
  return { format: "module", source: fakeModuleSource(specifier, names), shortCircuit: true };
}

function isMocked(specifier: string): boolean {
  return modules.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** The names the importing file reads from the module; none when its source cannot be read. */
function namesWanted(parentURL: string | undefined, specifier: string): string[] {
  if (!parentURL?.startsWith("file:")) return [];
  try {
    const file = fileURLToPath(parentURL.replace(/[?#].*$/, ""));
    return importedNames(readFileSync(file, "utf8"), specifier);
  } catch {
    return [];
  }
}

/** An ES module whose default export and named exports come from the fake of `specifier`. */
function fakeModuleSource(specifier: string, names: readonly string[]): string {
  return [
    `const registry = globalThis[Symbol.for("labrun.mockModules")];`,
    `if (!registry) throw new Error(${JSON.stringify(`labrun mockModules: no fake for ${specifier} in this thread`)});`,
    `const fake = registry.fakeModule(${JSON.stringify(specifier)});`,
    "export default fake;",
    ...names.map((name, i) => `const e${i} = fake[${JSON.stringify(name)}];`),
    names.length ? `export { ${names.map((name, i) => `e${i} as ${name}`).join(", ")} };` : "",
  ].join("\n");
}
