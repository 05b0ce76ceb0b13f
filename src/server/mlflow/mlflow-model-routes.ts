import type { Hono } from "hono";
import type { ServerEnv } from "../auth.js";
import { sendJson, type ServerContext } from "../context.js";
import { doesNotExist, invalidParameter } from "./mlflow-errors.js";
import type { ExperimentCatalog } from "./mlflow-experiments.js";
import {
  asModel,
  checkModelStatus,
  createModel,
  loadModel,
  modelJson,
  modelsFolder,
  saveModel,
  type MlflowModel,
} from "./mlflow-models.js";
import { input, requireWrite, tagRecord } from "./mlflow-request.js";
import { loadMlflowRun } from "./mlflow-runs.js";
import {
  loggedModelCreateSchema,
  loggedModelFinalizeSchema,
  loggedModelParamsSchema,
  loggedModelSearchSchema,
  loggedModelTagsSchema,
  mlflowLimits,
} from "./mlflow-schemas.js";
import { pageOf, sortByOrders, matches, parseFilter, type FilterClause } from "./mlflow-search.js";

const base = "/api/2.0/mlflow/logged-models";

type ModelJson = {
  info: Record<string, unknown> & { tags: { key: string; value: string }[] };
  data: { params: { key: string; value: string }[]; metrics: { key: string; value: unknown }[] };
};

const modelAttributes: Readonly<Record<string, string>> = {
  name: "name",
  model_id: "model_id",
  source_run_id: "source_run_id",
  status: "status",
  model_type: "model_type",
  creation_time: "creation_timestamp_ms",
  creation_timestamp: "creation_timestamp_ms",
  creation_timestamp_ms: "creation_timestamp_ms",
  last_updated_timestamp: "last_updated_timestamp_ms",
  last_updated_timestamp_ms: "last_updated_timestamp_ms",
};

function modelValue(
  model: ModelJson,
  entity: FilterClause["entity"],
  key: string,
): string | number | undefined {
  switch (entity) {
    case "attribute": {
      const field = modelAttributes[key];
      if (!field)
        throw invalidParameter(
          `Invalid attribute '${key}' for logged models: labrun supports ${Object.keys(modelAttributes).join(", ")}.`,
        );
      return model.info[field] as string | number | undefined;
    }
    case "param":
      return model.data.params.find((p) => p.key === key)?.value;
    case "tag":
      return model.info.tags.find((t) => t.key === key)?.value;
    case "metric": {
      const value = model.data.metrics.find((m) => m.key === key)?.value;
      return typeof value === "number" ? value : undefined;
    }
  }
}

/** MLflow 3's logged models: create, finalize, get, delete, search, tags, params (artifacts: mlflow-artifacts). */
export function mlflowModelRoutes(
  app: Hono<ServerEnv>,
  ctx: ServerContext,
  catalog: ExperimentCatalog,
): void {
  const { store } = ctx;
  const answer = async (model: MlflowModel) => sendJson({ model: await modelJson(store, model) });

  app.post(base, async (c) => {
    const principal = c.get("principal");
    requireWrite(principal);
    const body = await input(c, loggedModelCreateSchema, ctx);
    const experiment = await catalog.byId(body.experiment_id, principal);
    if (body.source_run_id) {
      const run = await loadMlflowRun(store, body.source_run_id, principal);
      if (run.record.experimentId !== experiment.id)
        throw invalidParameter(`Run ${body.source_run_id} is not in experiment ${experiment.id}.`);
    }
    const model = await createModel(store, experiment, {
      name: body.name,
      modelType: body.model_type,
      sourceRunId: body.source_run_id,
      params: tagRecord(body.params),
      tags: tagRecord(body.tags),
    });
    return answer(model);
  });

  app.post(`${base}/search`, async (c) => {
    const principal = c.get("principal");
    const body = await input(c, loggedModelSearchSchema, ctx);
    const max = body.max_results ?? 100;
    if (max < 1 || max > mlflowLimits.maxResults)
      throw invalidParameter(`max_results must be between 1 and ${mlflowLimits.maxResults}, got ${max}.`);
    if (body.datasets?.length)
      throw invalidParameter("labrun does not filter logged models by datasets: leave 'datasets' empty.");
    const clauses = parseFilter(body.filter);
    const found: ModelJson[] = [];
    for (const id of body.experiment_ids ?? []) {
      const experiment = await catalog.find(id, principal);
      // A labrun project's experiment has no logged models.
      if (!("run" in experiment)) continue;
      let cursor: string | undefined;
      do {
        const page = await store.searchRuns({
          prefix: `${experiment.run.prefix}/${modelsFolder}`,
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        for (const run of page.runs) {
          const model = asModel(run);
          if (!model || model.record.deletedTime !== undefined) continue;
          const json = (await modelJson(store, model)) as unknown as ModelJson;
          if (clauses.every((clause) => matches(modelValue(json, clause.entity, clause.key), clause)))
            found.push(json);
        }
        cursor = page.nextCursor;
      } while (cursor);
    }
    const orders = (body.order_by ?? []).map((order) => {
      const dot = order.field_name.indexOf(".");
      const entity = dot < 0 ? "attribute" : order.field_name.slice(0, dot);
      const key = dot < 0 ? order.field_name : order.field_name.slice(dot + 1);
      const mapped = (
        {
          attributes: "attribute",
          attribute: "attribute",
          metrics: "metric",
          params: "param",
          tags: "tag",
        } as const
      )[entity as "attributes"];
      if (!mapped) throw invalidParameter(`Invalid order_by field '${order.field_name}'.`);
      return { entity: mapped, key, desc: order.ascending === false };
    });
    if (orders.length === 0) orders.push({ entity: "attribute", key: "creation_timestamp_ms", desc: true });
    sortByOrders(found, orders, (model, order) => modelValue(model, order.entity, order.key));
    const { page, ...next } = pageOf(found, body.page_token, max);
    return sendJson({ models: page, ...next });
  });

  app.get(`${base}/:modelId`, async (c) =>
    answer(
      await loadModel(
        store,
        c.req.param("modelId"),
        c.get("principal"),
        c.req.query("allow_deleted") === "true",
      ),
    ),
  );

  app.patch(`${base}/:modelId`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, loggedModelFinalizeSchema, ctx);
    const model = await loadModel(store, c.req.param("modelId"), c.get("principal"));
    return answer(await saveModel(store, model, { status: checkModelStatus(body.status) }));
  });

  app.delete(`${base}/:modelId`, async (c) => {
    requireWrite(c.get("principal"));
    const model = await loadModel(store, c.req.param("modelId"), c.get("principal"));
    await saveModel(store, model, { deletedTime: Date.now() });
    return sendJson({});
  });

  app.patch(`${base}/:modelId/tags`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, loggedModelTagsSchema, ctx);
    const model = await loadModel(store, c.req.param("modelId"), c.get("principal"));
    await saveModel(store, model, { tags: { ...model.record.tags, ...tagRecord(body.tags) } });
    return sendJson({});
  });

  app.delete(`${base}/:modelId/tags/:key`, async (c) => {
    requireWrite(c.get("principal"));
    const model = await loadModel(store, c.req.param("modelId"), c.get("principal"));
    const key = c.req.param("key");
    if (!(key in model.record.tags))
      throw doesNotExist(`No tag with key '${key}' on logged model '${model.id}'.`);
    const { [key]: _removed, ...tags } = model.record.tags;
    await saveModel(store, model, { tags });
    return sendJson({});
  });

  app.post(`${base}/:modelId/params`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, loggedModelParamsSchema, ctx);
    const model = await loadModel(store, c.req.param("modelId"), c.get("principal"));
    await saveModel(store, model, { params: { ...model.record.params, ...tagRecord(body.params) } });
    return sendJson({});
  });
}
