import type { Context } from "hono";
import { StoredRunNotFoundError } from "../errors.js";
import type { Store, StoredRun } from "../store/store.js";
import { stringifyWire } from "../format/wire-json.js";
import { checkProject, type ServerEnv } from "./auth.js";
import type { EventBus } from "./events.js";
import type { FileStorage } from "./files/file-storage.js";
import type { ServerLimits } from "./options.js";

/** What every route needs, built once by createServer. */
export interface ServerContext {
  readonly store: Store;
  readonly files: FileStorage;
  readonly events: EventBus;
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

/** A JSON response in which NaN and ±Infinity become the strings "NaN", "Infinity", "-Infinity". */
export function sendJson(value: unknown, status = 200): Response {
  return new Response(stringifyWire(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}
