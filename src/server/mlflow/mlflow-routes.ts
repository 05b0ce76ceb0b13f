import type { Context, Hono } from "hono";
import type { z } from "zod";
import { MlflowRequestError } from "../../errors.js";
import type { Principal, ServerEnv } from "../auth.js";
import { decodeUtf8, readBodyBytes, parseJsonText, validate } from "../body.js";
import { sendJson, type ServerContext } from "../context.js";
import { queryObject } from "../query.js";
import { mlflowArtifactRoutes } from "./mlflow-artifacts.js";
import { invalidParameter } from "./mlflow-errors.js";
import { ExperimentCatalog, experimentJson } from "./mlflow-experiments.js";
import { labrunStatusOf, streamOfMetricKey } from "./mlflow-names.js";
import { createMlflowRun, loadMlflowRun, logBatch, runInfoJson, runJson, saveRecord } from "./mlflow-runs.js";
import {
  experimentByNameSchema,
  experimentCreateSchema,
  experimentGetSchema,
  experimentSearchSchema,
  logBatchSchema,
  logMetricSchema,
  logParamSchema,
  metricHistorySchema,
  runCreateSchema,
  runDeleteSchema,
  runGetSchema,
  runUpdateSchema,
  setTagSchema,
  mlflowLimits,
} from "./mlflow-schemas.js";
import { decodePageToken, encodePageToken, matches, parseFilter } from "./mlflow-search.js";
import { searchMlflowRuns } from "./mlflow-run-search.js";

const base = "/api/2.0/mlflow";

/** MLflow reads GET fields from the query string and everything else from a JSON body. */
async function input<T>(c: Context<ServerEnv>, schema: z.ZodType<T>, ctx: ServerContext): Promise<T> {
  if (c.req.method === "GET") return validate(schema, queryObject(c), "query");
  const bytes = await readBodyBytes(c.req.raw, ctx.limits.jsonBodyBytes);
  const text = decodeUtf8(bytes);
  return validate(schema, text.trim() === "" ? {} : parseJsonText(text, ctx.limits.jsonDepth), "body");
}

function requireWrite(principal: Principal): void {
  if (principal.readOnly) {
    throw new MlflowRequestError("PERMISSION_DENIED", "This token is read-only: it cannot write.", 403);
  }
}

const tagRecord = (tags: readonly { key: string; value: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value]));

/** MLflow's tracking REST API (the part its client uses to log runs), on labrun runs. */
export function mlflowRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store } = ctx;
  const catalog = new ExperimentCatalog(store);

  app.get(`${base}/experiments/get-by-name`, async (c) => {
    const { experiment_name } = await input(c, experimentByNameSchema, ctx);
    const experiment = await catalog.byName(experiment_name, c.get("principal"));
    if (!experiment) {
      throw new MlflowRequestError(
        "RESOURCE_DOES_NOT_EXIST",
        `Could not find experiment with name '${experiment_name}'`,
        404,
      );
    }
    return sendJson({ experiment: experimentJson(experiment) });
  });

  app.post(`${base}/experiments/create`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, experimentCreateSchema, ctx);
    const experiment = await catalog.create(body.name, tagRecord(body.tags), c.get("principal"));
    return sendJson({ experiment_id: experiment.id });
  });

  app.get(`${base}/experiments/get`, async (c) => {
    const { experiment_id } = await input(c, experimentGetSchema, ctx);
    const experiment = await catalog.byId(experiment_id, c.get("principal"));
    return sendJson({ experiment: experimentJson(experiment) });
  });

  app.on(["GET", "POST"], `${base}/experiments/search`, async (c) => {
    const body = await input(c, experimentSearchSchema, ctx);
    const max = body.max_results ?? 1000;
    if (max < 1 || max > mlflowLimits.maxResults) {
      throw invalidParameter(`max_results must be between 1 and ${mlflowLimits.maxResults}, got ${max}.`);
    }
    const clauses = parseFilter(body.filter);
    for (const clause of clauses) {
      if (clause.entity === "attribute" && clause.key !== "name") {
        throw invalidParameter(`labrun filters experiments by name and tags only, not '${clause.key}'.`);
      }
    }
    const all = (await catalog.list(c.get("principal"))).filter((experiment) =>
      clauses.every((clause) =>
        matches(
          clause.entity === "tag" ? experiment.record.tags[clause.key] : experiment.record.name,
          clause,
        ),
      ),
    );
    const offset = decodePageToken(body.page_token);
    const page = all.slice(offset, offset + max);
    return sendJson({
      experiments: page.map(experimentJson),
      ...(offset + max < all.length ? { next_page_token: encodePageToken(offset + max) } : {}),
    });
  });

  app.post(`${base}/runs/create`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, runCreateSchema, ctx);
    const experiment = await catalog.byId(body.experiment_id || "0", c.get("principal"));
    const created = await createMlflowRun(store, experiment, {
      tags: tagRecord(body.tags),
      ...(body.user_id !== undefined ? { userId: body.user_id } : {}),
      ...(body.run_name !== undefined ? { runName: body.run_name } : {}),
      ...(body.start_time !== undefined ? { startTime: body.start_time } : {}),
    });
    return sendJson({ run: await runJson(store, created) });
  });

  app.get(`${base}/runs/get`, async (c) => {
    const body = await input(c, runGetSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    return sendJson({ run: await runJson(store, run) });
  });

  app.post(`${base}/runs/update`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, runUpdateSchema, ctx);
    let run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    if (body.run_name !== undefined || body.end_time !== undefined) {
      run = await saveRecord(store, run, {
        ...run.record,
        ...(body.run_name
          ? { runName: body.run_name, tags: { ...run.record.tags, "mlflow.runName": body.run_name } }
          : {}),
        ...(body.end_time !== undefined ? { endTime: body.end_time } : {}),
      });
    }
    const status = body.status && labrunStatusOf(body.status);
    if (status && status !== run.run.status) {
      await store.updateRun(run.run.id, {
        status: {
          status,
          ...(body.end_time !== undefined ? { at: new Date(body.end_time).toISOString() } : {}),
        },
      });
      run = await loadMlflowRun(store, run.run.id, c.get("principal"));
    }
    return sendJson({ run_info: runInfoJson(run) });
  });

  app.post(`${base}/runs/delete`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, runDeleteSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id, c.get("principal"));
    await store.deleteRun(run.run.id);
    return sendJson({});
  });

  app.on(["GET", "POST"], `${base}/runs/search`, async (c) =>
    sendJson(await searchMlflowRuns(c, ctx, catalog, input)),
  );

  app.post(`${base}/runs/log-batch`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, logBatchSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    await logBatch(store, run, {
      ...(body.metrics ? { metrics: body.metrics } : {}),
      ...(body.params ? { params: body.params } : {}),
      ...(body.tags ? { tags: body.tags } : {}),
    });
    return sendJson({});
  });

  app.post(`${base}/runs/log-metric`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, logMetricSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    await logBatch(store, run, { metrics: [body] });
    return sendJson({});
  });

  app.post(`${base}/runs/log-parameter`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, logParamSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    await logBatch(store, run, { params: [{ key: body.key, value: body.value }] });
    return sendJson({});
  });

  app.post(`${base}/runs/set-tag`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, setTagSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    await logBatch(store, run, { tags: [{ key: body.key, value: body.value }] });
    return sendJson({});
  });

  app.get(`${base}/metrics/get-history`, async (c) => {
    const body = await input(c, metricHistorySchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    const max = body.max_results ?? 25000;
    const offset = decodePageToken(body.page_token);
    const series = await store.readMetrics(run.run.id, streamOfMetricKey(body.metric_key), {
      from: offset,
      to: offset + max,
    });
    const metrics = series.points.map((point) => ({
      key: body.metric_key,
      value: point.fields.value,
      timestamp: Math.round(point.ts * 1000),
      step: Number(point.fields.step ?? 0),
    }));
    return sendJson({
      metrics,
      ...(offset + max < series.count ? { next_page_token: encodePageToken(offset + max) } : {}),
    });
  });

  mlflowArtifactRoutes(app, ctx);
}
