import type { Hono } from "hono";
import { BadRequestError } from "../../errors.js";
import type { ServerEnv } from "../auth.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { readQuery } from "../query.js";
import { metricQuerySchema } from "../schemas.js";
import { unnamedMetricDir } from "../../format/names.js";

/**
 * The name of ML-Dash's unnamed metric stream (`""` in a Store) on the HTTP API, as on the dashboard, in the
 * CLI, in ML-Dash's protocol and in a run folder (`metrics/None/`): `None`, a name no other stream can take.
 */
export const unnamedStreamName = unnamedMetricDir;

/** Metric streams of a run and their (downsampled) points. */
export function metricRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store } = ctx;

  app.get("/api/runs/:runId/metrics", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const summary = c.req.query("summary") !== "0";
    const streams = await store.listMetricStreams(run.id, summary ? {} : { summary: false });
    return sendJson({
      streams: streams.map((s) => (s.stream === "" ? { ...s, stream: unnamedStreamName } : s)),
    });
  });

  app.get("/api/runs/:runId/metrics/:stream", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const query = readQuery(c, metricQuerySchema);
    if (query.from !== undefined && query.to !== undefined && query.to < query.from) {
      throw new BadRequestError(`query: "to" (${query.to}) is before "from" (${query.from}).`);
    }
    const name = c.req.param("stream");
    const stream = name === unnamedStreamName ? "" : name;
    const fields = query.fields
      ?.split(",")
      .map((field) => field.trim())
      .filter((field) => field.length > 0);
    const series = await store.readMetrics(run.id, stream, {
      ...(query.by !== undefined ? { by: query.by } : {}),
      ...(query.edges !== undefined ? { edges: query.edges } : {}),
      ...(query.last !== undefined ? { last: query.last } : {}),
      ...(query.approximate !== undefined ? { approximate: query.approximate } : {}),
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
      ...(query.maxPoints !== undefined ? { maxPoints: query.maxPoints } : {}),
      ...(fields && fields.length > 0 ? { fields } : {}),
    });
    return sendJson(stream === "" ? { ...series, stream: unnamedStreamName } : series);
  });
}
