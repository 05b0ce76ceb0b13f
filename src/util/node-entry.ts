import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The argv that runs one of labrun's own modules in a fresh Node process. labrun runs from `dist/` when
 * installed and from `src/` (TypeScript, through tsx) in its own tests, so the sibling may be `.js` or `.ts`.
 */
export function nodeEntry(moduleUrl: URL): string[] {
  const jsFile = fileURLToPath(moduleUrl);
  if (existsSync(jsFile)) return [process.execPath, jsFile];
  const tsFile = jsFile.replace(/\.js$/, ".ts");
  return [process.execPath, "--import", tsxLoaderUrl(), tsFile];
}

/** The URL that `node --import` takes to load TypeScript files. */
export function tsxLoaderUrl(): string {
  // createRequire rather than import.meta.resolve, which bundlers and test runners do not all provide.
  const packageJson = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(join(dirname(packageJson), "dist", "loader.mjs")).href;
}

export function needsTypeScriptLoader(file: string): boolean {
  return /\.(ts|mts|cts|tsx)$/.test(file);
}
