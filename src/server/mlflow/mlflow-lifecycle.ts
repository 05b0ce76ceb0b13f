import type { Hono } from "hono";
import { MlflowRequestError } from "../../errors.js";
import type { ServerEnv } from "../auth.js";
import { sendJson, type ServerContext } from "../context.js";
import { invalidParameter } from "./mlflow-errors.js";
import { checkNotProjectName, type ExperimentCatalog } from "./mlflow-experiments.js";
import { defaultExperimentId } from "./mlflow-names.js";
import { input, requireWrite } from "./mlflow-request.js";
import { loadMlflowRun, saveRecord, type DatasetInputJson, type MlflowRun } from "./mlflow-runs.js";
import {
  deleteTagSchema,
  experimentIdSchema,
  experimentTagDeleteSchema,
  experimentTagSchema,
  experimentUpdateSchema,
  logInputsSchema,
  logOutputsSchema,
  runRestoreSchema,
} from "./mlflow-schemas.js";

const base = "/api/2.0/mlflow";
/** The labrun tag a run deleted through MLflow carries, so labrun's own views can tell (and filter) it. */
export const deletedTag = "mlflow-deleted";

/**
 * MLflow's lifecycle and bookkeeping endpoints: delete / restore / delete-tag / log-inputs / outputs of runs,
 * update (rename) / delete / restore / set-tag / delete-tag of experiments. Deleting is MLflow's soft delete:
 * the record says "deleted" and the run keeps its data until restored.
 */
export function mlflowLifecycleRoutes(app: Hono<ServerEnv>, ctx: ServerContext, catalog: ExperimentCatalog) {
  const { store } = ctx;

  const setDeleted = async (mlflowRun: MlflowRun, deleted: boolean) => {
    const { deletedTime: _drop, ...rest } = mlflowRun.record;
    const saved = await saveRecord(store, mlflowRun, deleted ? { ...rest, deletedTime: Date.now() } : rest);
    const tags = saved.run.tags.filter((tag) => tag !== deletedTag);
    await store.updateRun(saved.run.id, { tags: deleted ? [...tags, deletedTag] : tags });
  };

  app.post(`${base}/runs/delete`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, runRestoreSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id, c.get("principal"));
    if (!run.run.deleted) await setDeleted(run, true);
    return sendJson({});
  });

  app.post(`${base}/runs/restore`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, runRestoreSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id, c.get("principal"));
    if (run.run.deleted) {
      throw new MlflowRequestError(
        "INVALID_STATE",
        `Run ${body.run_id} was deleted through labrun (not MLflow's soft delete) and cannot be restored.`,
        400,
      );
    }
    await setDeleted(run, false);
    return sendJson({});
  });

  app.post(`${base}/runs/delete-tag`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, deleteTagSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id ?? body.run_uuid, c.get("principal"));
    if (!(body.key in run.record.tags)) {
      throw new MlflowRequestError(
        "RESOURCE_DOES_NOT_EXIST",
        `No tag with name: ${body.key} in run with id ${run.run.id}`,
        404,
      );
    }
    const { [body.key]: _removed, ...tags } = run.record.tags;
    await saveRecord(store, run, { ...run.record, tags });
    return sendJson({});
  });

  app.post(`${base}/runs/log-inputs`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, logInputsSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id, c.get("principal"));
    // Datasets are kept once per (name, digest), as MLflow does; a new context tag set is added beside.
    const datasets = [...(run.record.datasetInputs ?? [])];
    for (const next of (body.datasets ?? []) as DatasetInputJson[]) {
      const same = (d: DatasetInputJson) =>
        d.dataset.name === next.dataset.name &&
        d.dataset.digest === next.dataset.digest &&
        JSON.stringify(d.tags ?? []) === JSON.stringify(next.tags ?? []);
      if (!datasets.some(same)) datasets.push(next);
    }
    const models = [...(run.record.modelInputs ?? [])];
    for (const model of body.models ?? [])
      if (!models.some((m) => m.model_id === model.model_id)) models.push({ model_id: model.model_id });
    await saveRecord(store, run, { ...run.record, datasetInputs: datasets, modelInputs: models });
    return sendJson({});
  });

  app.post(`${base}/runs/outputs`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, logOutputsSchema, ctx);
    const run = await loadMlflowRun(store, body.run_id, c.get("principal"));
    const outputs = [...(run.record.modelOutputs ?? [])];
    for (const model of body.models) {
      const step = model.step ?? 0;
      if (!outputs.some((o) => o.model_id === model.model_id && o.step === step))
        outputs.push({ model_id: model.model_id, step });
    }
    await saveRecord(store, run, { ...run.record, modelOutputs: outputs });
    return sendJson({});
  });

  app.post(`${base}/experiments/update`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, experimentUpdateSchema, ctx);
    const experiment = await catalog.byId(body.experiment_id, c.get("principal"));
    if (experiment.id === defaultExperimentId)
      throw invalidParameter("The Default experiment cannot be renamed.");
    if (experiment.record.lifecycleStage === "deleted")
      throw invalidParameter("Cannot rename a non-active experiment: restore it first.");
    checkNotProjectName(body.new_name);
    if (
      body.new_name !== experiment.record.name &&
      (await catalog.byName(body.new_name, c.get("principal")))
    ) {
      throw new MlflowRequestError(
        "RESOURCE_ALREADY_EXISTS",
        `Experiment '${body.new_name}' already exists.`,
        400,
      );
    }
    await catalog.save(experiment, { name: body.new_name });
    return sendJson({});
  });

  for (const [path, stage] of [
    ["delete", "deleted"],
    ["restore", "active"],
  ] as const) {
    app.post(`${base}/experiments/${path}`, async (c) => {
      requireWrite(c.get("principal"));
      const body = await input(c, experimentIdSchema, ctx);
      const experiment = await catalog.byId(body.experiment_id, c.get("principal"));
      if (experiment.id === defaultExperimentId && stage === "deleted")
        throw invalidParameter("The Default experiment (id 0) cannot be deleted.");
      await catalog.save(experiment, { lifecycleStage: stage });
      return sendJson({});
    });
  }

  app.post(`${base}/experiments/set-experiment-tag`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, experimentTagSchema, ctx);
    const experiment = await catalog.byId(body.experiment_id, c.get("principal"));
    await catalog.save(experiment, { tags: { ...experiment.record.tags, [body.key]: body.value } });
    return sendJson({});
  });

  app.post(`${base}/experiments/delete-experiment-tag`, async (c) => {
    requireWrite(c.get("principal"));
    const body = await input(c, experimentTagDeleteSchema, ctx);
    const experiment = await catalog.byId(body.experiment_id, c.get("principal"));
    const { [body.key]: _removed, ...tags } = experiment.record.tags;
    await catalog.save(experiment, { tags });
    return sendJson({});
  });
}
