import type { Hono } from "hono";
import { MlflowRequestError } from "../../errors.js";
import type { Principal, ServerEnv } from "../auth.js";
import { sendJson, type ServerContext } from "../context.js";
import { mlflowArtifactRoutes } from "./mlflow-artifacts.js";
import { mlflowLifecycleRoutes } from "./mlflow-lifecycle.js";
import { mlflowModelRoutes } from "./mlflow-model-routes.js";
import { mlflowUnsupportedRoutes } from "./mlflow-unsupported.js";
import { loadModel, logModelMetrics } from "./mlflow-models.js";
import { invalidParameter } from "./mlflow-errors.js";
import { input, requireWrite, tagRecord } from "./mlflow-request.js";
import { ExperimentCatalog, experimentJson } from "./mlflow-experiments.js";
import { labrunStatusOf, streamOfMetricKey } from "./mlflow-names.js";
import {
  createMlflowRun,
  loadMlflowRun,
  logBatch,
  runInfoJson,
  runJson,
  saveRecord,
  type MetricInput,
} from "./mlflow-runs.js";
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
  runGetSchema,
  runUpdateSchema,
  setTagSchema,
  mlflowLimits,
} from "./mlflow-schemas.js";
import { decodePageToken, encodePageToken } from "./mlflow-search.js";
import { searchExperiments } from "./mlflow-experiment-search.js";
import { searchMlflowRuns } from "./mlflow-run-search.js";
import { isMlflowRun, loadRunToRead, projectMetricHistory, projectRunJson } from "./mlflow-project-runs.js";

const base = "/api/2.0/mlflow";

/** MLflow's tracking REST API (the part its client uses to log runs), on labrun runs. */
export function mlflowRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store } = ctx;
  const catalog = new ExperimentCatalog(store);

  // Metrics logged with a model_id (autolog's training scores) also land on that logged model.
  const logToModels = async (
    metrics: readonly (MetricInput & { model_id?: string | undefined })[],
    principal: Principal,
  ) => {
    const byModel = new Map<string, MetricInput[]>();
    for (const metric of metrics) {
      if (!metric.model_id) continue;
      const list = byModel.get(metric.model_id) ?? [];
      byModel.set(metric.model_id, [...list, metric]);
    }
    for (const [modelId, list] of byModel)
      await logModelMetrics(store, await loadModel(store, modelId, principal), list);
  };

  app.get(`${base}/experiments/get-by-name`, async (c) => {
    const { experiment_name } = await input(c, experimentByNameSchema, ctx);
    const experiment = await catalog.findByName(experiment_name, c.get("principal"));
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
    const experiment = await catalog.find(experiment_id, c.get("principal"));
    return sendJson({ experiment: experimentJson(experiment) });
  });

  app.on(["GET", "POST"], `${base}/experiments/search`, async (c) => {
    const body = await input(c, experimentSearchSchema, ctx);
    const max = body.max_results ?? 1000;
    if (max < 1 || max > mlflowLimits.maxResults) {
      throw invalidParameter(`max_results must be between 1 and ${mlflowLimits.maxResults}, got ${max}.`);
    }
    const all = searchExperiments(await catalog.list(c.get("principal")), body);
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
    if (experiment.record.lifecycleStage === "deleted") {
      throw invalidParameter(
        `The experiment ${experiment.id} must be in the 'active' state (it is deleted): restore it with experiments/restore first.`,
      );
    }
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
    const run = await loadRunToRead(store, body.run_id ?? body.run_uuid, c.get("principal"));
    return sendJson({ run: isMlflowRun(run) ? await runJson(store, run) : await projectRunJson(store, run) });
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
    await logToModels(body.metrics ?? [], c.get("principal"));
    return sendJson({});
  });

  app.post(`${base}/runs/log-metric`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, logMetricSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    await logBatch(store, run, { metrics: [body] });
    await logToModels([body], c.get("principal"));
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
    const run = await loadRunToRead(store, body.run_id ?? body.run_uuid, c.get("principal"));
    const max = body.max_results ?? 25000;
    const offset = decodePageToken(body.page_token);
    if (!isMlflowRun(run)) {
      const history = await projectMetricHistory(store, run.run, body.metric_key, offset, max);
      return sendJson({
        metrics: history.metrics,
        ...(history.more ? { next_page_token: encodePageToken(offset + max) } : {}),
      });
    }
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

  mlflowLifecycleRoutes(app, ctx, catalog);
  mlflowModelRoutes(app, ctx, catalog);
  mlflowArtifactRoutes(app, ctx);
  mlflowUnsupportedRoutes(app);
}
