import type { Context } from "hono";
import { StoredRunNotFoundError } from "../errors.js";
import type { Store, StoredRun } from "../store/store.js";
import { checkProject, type ServerEnv } from "./auth.js";
import type { RunEvents } from "./events.js";
import type { FileStorage } from "./files/file-storage.js";
import type { ServerLimits } from "./options.js";

/** What every route needs, built once by createServer. */
export interface ServerContext {
  readonly store: Store;
  readonly files: FileStorage;
  readonly events: RunEvents;
  readonly limits: ServerLimits;
  readonly version: string;
}

/** The run of `:runId`, after checking the caller may touch its project (404 when absent or deleted). */
export async function loadRun(c: Context<ServerEnv>, store: Store, runId: string): Promise<StoredRun> {
  const run = runId.length <= 200 ? await store.getRun(runId) : undefined;
  if (!run || run.deleted) throw new StoredRunNotFoundError(runId);
  checkProject(c.get("principal"), run.project);
  return run;
}

const replacer = (_key: string, value: unknown) =>
  typeof value === "number" && !Number.isFinite(value) ? String(value) : value;

/** A JSON response in which NaN and ±Infinity become the strings "NaN", "Infinity", "-Infinity". */
export function sendJson(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value, replacer), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

const nonFinite: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** Metric fields as stored: the strings "NaN", "Infinity", "-Infinity" become those numbers. */
export function decodeMetricFields<T>(fields: Readonly<Record<string, T>>): Record<string, T | number> {
  let out: Record<string, T | number> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "string" && Object.hasOwn(nonFinite, value)) {
      out ??= { ...fields };
      out[key] = nonFinite[value]!;
    }
  }
  return out ?? fields;
}
