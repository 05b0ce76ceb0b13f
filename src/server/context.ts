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

/**
 * The run of `:runId`, after checking the caller may touch its project (404 when absent). A deleted run is
 * still found by id (MLflow's soft delete); it is only gone from searches and prefix lookups.
 */
export async function loadRun(c: Context<ServerEnv>, store: Store, runId: string): Promise<StoredRun> {
  const run = runId.length <= 200 ? await store.getRun(runId) : undefined;
  if (!run) throw new StoredRunNotFoundError(runId);
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

/** A value as stored: "NaN", "Infinity", "-Infinity" strings become those numbers, at any depth. */
function decodeValue(value: unknown): unknown {
  if (typeof value === "string") return Object.hasOwn(nonFinite, value) ? nonFinite[value] : value;
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = decodeValue((value as Record<string, unknown>)[key]);
  return out;
}

/** Metric fields as stored: the strings "NaN", "Infinity", "-Infinity" (at any depth) become those numbers. */
export function decodeMetricFields<T>(fields: Readonly<Record<string, T>>): Record<string, T> {
  let out: Record<string, T> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "string" ? Object.hasOwn(nonFinite, value) : typeof value === "object" && value !== null) {
      out ??= { ...fields };
      out[key] = decodeValue(value) as T;
    }
  }
  return out ?? fields;
}
