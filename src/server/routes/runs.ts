import type { Hono } from "hono";
import { BadRequestError, StoredRunNotFoundError } from "../../errors.js";
import type { RunQuery, RunSort } from "../../store/store.js";
import { parsePrefix } from "../../format/names.js";
import type { JsonValue } from "../../format/json-codec.js";
import { checkProject, type ServerEnv } from "../auth.js";
import { readJson } from "../body.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { queryObject, readQuery } from "../query.js";
import { byPrefixQuerySchema, runPatchSchema, runSearchQuerySchema, runUpsertSchema } from "../schemas.js";

/** A `param.<key>=<value>` filter: JSON when it parses (`0.1`, `true`), else the text itself. */
function paramValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Runs: upsert, search, read, update, delete. */
export function runRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store, events, limits } = ctx;

  app.post("/api/runs", async (c) => {
    const body = await readJson(c.req.raw, runUpsertSchema, limits);
    const parsed = parsePrefix(body.prefix);
    checkProject(c.get("principal"), parsed.project);
    const run = await store.upsertRun(body);
    return sendJson({ run });
  });

  app.get("/api/runs", async (c) => {
    const query = readQuery(c, runSearchQuerySchema, (key) => key.startsWith("param."));
    const params: Record<string, JsonValue> = {};
    for (const [key, value] of Object.entries(queryObject(c))) {
      if (!key.startsWith("param.")) continue;
      if (key.length === "param.".length)
        throw new BadRequestError('A "param." filter needs a key: param.lr=0.1.');
      params[key.slice("param.".length)] = paramValue(value);
    }
    const principal = c.get("principal");
    let project = query.project;
    if (principal.project !== "*") {
      if (project !== undefined) checkProject(principal, project);
      project = principal.project;
      const segments = query.prefix?.split("/") ?? [];
      if (segments.length >= 2) checkProject(principal, segments[1]!);
    }
    const { sort, ...rest } = query;
    const runQuery: RunQuery = {
      ...rest,
      ...(sort !== undefined ? { sort: sort as RunSort } : {}),
      ...(project !== undefined ? { project } : {}),
      ...(Object.keys(params).length > 0 ? { params } : {}),
    };
    const page = await store.searchRuns(runQuery);
    return sendJson(page);
  });

  app.get("/api/runs/by-prefix", async (c) => {
    const { prefix } = readQuery(c, byPrefixQuerySchema);
    const parsed = parsePrefix(prefix);
    checkProject(c.get("principal"), parsed.project);
    const run = await store.getRunByPrefix(prefix);
    if (!run || run.deleted) throw new StoredRunNotFoundError(prefix);
    return sendJson({ run });
  });

  app.get("/api/runs/:runId", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    return sendJson({ run });
  });

  app.patch("/api/runs/:runId", async (c) => {
    const current = await loadRun(c, store, c.req.param("runId"));
    const body = await readJson(c.req.raw, runPatchSchema, limits);
    const run = await store.updateRun(current.id, body);
    if (events.hasListeners(run.id)) events.publish(run.id, { type: "status", data: { run } });
    return sendJson({ run });
  });

  app.delete("/api/runs/:runId", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    await store.deleteRun(run.id);
    return sendJson({ ok: true });
  });
}
