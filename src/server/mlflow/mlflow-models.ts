import { randomBytes, randomUUID } from "node:crypto";
import type { JsonValue } from "../../format/json-codec.js";
import type { Store, StoredRun } from "../../store/store.js";
import { checkProject, type Principal } from "../auth.js";
import { doesNotExist, invalidParameter } from "./mlflow-errors.js";
import { mlflowMetadata, replaceMlflowMetadata, type Experiment } from "./mlflow-experiments.js";
import { metricKeyOfStream } from "./mlflow-names.js";
import { metricAppends, type MetricInput } from "./mlflow-runs.js";

/** What the labrun run behind a logged model keeps in `metadata.mlflow`. */
export interface ModelRecord {
  readonly kind: "model";
  readonly experimentId: string;
  readonly name: string;
  readonly modelType?: string;
  readonly sourceRunId?: string;
  readonly status: string;
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly deletedTime?: number;
}

export interface MlflowModel {
  /** MLflow's `m-<32 hex>`: `m-` and the labrun run id. */
  readonly id: string;
  readonly run: StoredRun;
  readonly record: ModelRecord;
}

/** The folder under an experiment's prefix where its logged models live (`mlflow/<exp>/models/<name>-<hex>`). */
export const modelsFolder = "models";

/** The labrun run id of a logged model's id (`m-<run id>`), or undefined for another shape. */
export const runIdOfModel = (modelId: string): string | undefined =>
  /^m-[0-9a-f]{32}$/.test(modelId) ? modelId.slice(2) : undefined;

export const modelArtifactUri = (record: ModelRecord, modelId: string) =>
  `mlflow-artifacts:/${record.experimentId}/${modelsFolder}/${modelId}/artifacts`;

export function asModel(run: StoredRun): MlflowModel | undefined {
  const meta = mlflowMetadata(run);
  if (meta?.kind !== "model") return undefined;
  return { id: `m-${run.id}`, run, record: meta as unknown as ModelRecord };
}

/** The logged model behind `modelId`, after the project check (deleted ones only when asked). */
export async function loadModel(
  store: Store,
  modelId: string,
  principal: Principal,
  allowDeleted = false,
): Promise<MlflowModel> {
  const runId = runIdOfModel(modelId);
  const run = runId ? await store.getRun(runId) : undefined;
  const model = run && !run.deleted ? asModel(run) : undefined;
  if (!model || (model.record.deletedTime !== undefined && !allowDeleted))
    throw doesNotExist(`Logged model with ID '${modelId}' not found.`);
  checkProject(principal, run!.project);
  return model;
}

export async function createModel(
  store: Store,
  experiment: Experiment,
  input: {
    name?: string | undefined;
    modelType?: string | undefined;
    sourceRunId?: string | undefined;
    params: Record<string, string>;
    tags: Record<string, string>;
  },
): Promise<MlflowModel> {
  const name = input.name || `model-${randomBytes(4).toString("hex")}`;
  const segment = `${
    name
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .replace(/^\.+/, "_")
      .slice(0, 60) || "model"
  }-${randomBytes(4).toString("hex")}`;
  const now = Date.now();
  const record: ModelRecord = {
    kind: "model",
    experimentId: experiment.id,
    name,
    ...(input.modelType ? { modelType: input.modelType } : {}),
    ...(input.sourceRunId ? { sourceRunId: input.sourceRunId } : {}),
    status: "LOGGED_MODEL_PENDING",
    creationTime: now,
    lastUpdateTime: now,
    tags: input.tags,
    params: input.params,
  };
  const run = await store.upsertRun({
    prefix: `${experiment.run.prefix}/${modelsFolder}/${segment}`,
    description: `MLflow logged model ${name}`,
    tags: ["mlflow-model"],
    metadata: { mlflow: record as unknown as JsonValue },
  });
  return { id: `m-${run.id}`, run, record };
}

export async function saveModel(
  store: Store,
  model: MlflowModel,
  changes: Partial<ModelRecord>,
): Promise<MlflowModel> {
  const record: ModelRecord = { ...model.record, ...changes, lastUpdateTime: Date.now() };
  const run = await replaceMlflowMetadata(store, model.run, record);
  return { ...model, run, record };
}

/** Metrics logged with a `model_id` also go to the model (MLflow shows them on the model page and in search). */
export async function logModelMetrics(
  store: Store,
  model: MlflowModel,
  metrics: readonly MetricInput[],
): Promise<void> {
  await store.applyBatch(model.run.id, {
    clientId: `mlflow-${randomUUID()}`,
    seq: 1,
    metrics: metricAppends(metrics),
  });
}

/** MLflow's `LoggedModel` JSON: info and data (the latest value of each metric, params). */
export async function modelJson(store: Store, model: MlflowModel): Promise<Record<string, unknown>> {
  const { record } = model;
  const streams = await store.listMetricStreams(model.run.id);
  const metrics = streams
    .filter((stream) => stream.summary.value !== undefined)
    .map((stream) => ({
      key: metricKeyOfStream(stream.stream),
      value: stream.summary.value!.last,
      timestamp: Math.round((stream.lastTs ?? 0) * 1000),
      step: Number(stream.summary.step?.last ?? 0),
      model_id: model.id,
      ...(record.sourceRunId ? { run_id: record.sourceRunId } : {}),
    }));
  const params = Object.entries(record.params).map(([key, value]) => ({ key, value }));
  return {
    info: {
      model_id: model.id,
      experiment_id: record.experimentId,
      name: record.name,
      creation_timestamp_ms: record.creationTime,
      last_updated_timestamp_ms: record.lastUpdateTime,
      artifact_uri: modelArtifactUri(record, model.id),
      status: record.status,
      ...(record.modelType ? { model_type: record.modelType } : {}),
      ...(record.sourceRunId ? { source_run_id: record.sourceRunId } : {}),
      tags: Object.entries(record.tags).map(([key, value]) => ({ key, value })),
    },
    data: { params, metrics },
  };
}

export function checkModelStatus(status: string): string {
  if (status === "LOGGED_MODEL_STATUS_UNSPECIFIED")
    throw invalidParameter(
      "A logged model is finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.",
    );
  return status;
}
