import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { writeJsonAtomic } from "../util/atomic-file.js";

export interface PartialCall {
  readonly module: string;
  readonly fn: string;
  readonly args: unknown[];
}

/** Imports the module, calls the function and stores a JSON-serialisable result in `result.json`. */
export async function callPartial(call: PartialCall, jobDir: string): Promise<void> {
  const loaded = (await import(pathToFileURL(call.module).href)) as Record<string, unknown>;
  const fn = loaded[call.fn];
  if (typeof fn !== "function")
    throw new Error(
      `${call.module} has no exported function "${call.fn}" (exports: ${Object.keys(loaded).join(", ") || "none"}).`,
    );
  const result: unknown = await (fn as (...args: unknown[]) => unknown)(...call.args);
  if (result !== undefined) writeJsonAtomic(join(jobDir, "result.json"), result);
}
