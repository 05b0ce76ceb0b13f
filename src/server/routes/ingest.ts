import type { Hono } from "hono";
import type { MetricAppend, RunBatch } from "../../store/store.js";
import { checkStreamName, unnamedMetricDir } from "../../format/names.js";
import type { ServerEnv } from "../auth.js";
import { readJson } from "../body.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { checkPoints } from "../fast-points.js";
import { publishBatch } from "../publish-batch.js";
import { runBatchWireSchema } from "../schemas.js";

/** Checks stream names and points, turning "NaN"/"Infinity" strings of metric fields into numbers. */
function decodeMetrics(
  metrics: readonly { stream: string; points: readonly unknown[] }[],
  maxDepth: number,
): MetricAppend[] {
  return metrics.map((append, i) => {
    // The unnamed stream is `""` or `None` (its name everywhere else).
    const stream = append.stream === unnamedMetricDir ? "" : append.stream;
    if (stream !== "") checkStreamName("Metric name", stream);
    return {
      stream,
      points: checkPoints(append.points, `body.metrics.${i}.points`, maxDepth),
    };
  });
}

/** `{metrics: [{points}]}`: the points (the bulk of a batch) are depth-checked by checkPoints, field by field. */
const skipPoints = (key: string, depth: number) => key === "points" && depth === 3;

/** Batches (metrics, logs, params, status in one all-or-nothing write) and parameters. */
export function ingestRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store, limits } = ctx;

  app.post("/api/runs/:runId/batches", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const { metrics, ...rest } = await readJson(c.req.raw, runBatchWireSchema, limits, skipPoints);
    const batch: RunBatch = metrics ? { ...rest, metrics: decodeMetrics(metrics, limits.jsonDepth) } : rest;
    const result = await store.applyBatch(run.id, batch);
    await publishBatch(ctx, run.id, batch, result);
    return sendJson({ duplicate: result.duplicate });
  });

  app.get("/api/runs/:runId/params", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    return sendJson({ params: await store.getParams(run.id) });
  });
}
