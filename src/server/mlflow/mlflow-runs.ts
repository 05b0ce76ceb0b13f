import { randomUUID } from "node:crypto";
import type { JsonValue } from "../../format/json-codec.js";
import type { MetricAppend, Store } from "../../store/store.js";
import { checkProject, type Principal } from "../auth.js";
import { doesNotExist, invalidParameter } from "./mlflow-errors.js";
import {
  mlflowMetadata,
  replaceMlflowMetadata,
  type Experiment,
  type ExperimentCatalog,
} from "./mlflow-experiments.js";
import { metricKeyOfStream, mlflowStatusOf, runSegment, streamOfMetricKey } from "./mlflow-names.js";
import { mlflowLimits } from "./mlflow-schemas.js";
import type { MlflowRun, RunRecord } from "./mlflow-records.js";

export type { DatasetInputJson, MlflowRun, RunRecord } from "./mlflow-records.js";
import { isProjectRun } from "./mlflow-project-experiments.js";
import { refuseProjectRunWrite } from "./mlflow-project-runs.js";

export interface MetricInput {
  readonly key: string;
  readonly value: number;
  readonly timestamp?: number | undefined;
  readonly step?: number | undefined;
}

/** MLflow metrics as labrun appends: one stream per key (`streamOfMetricKey`), fields `value` and `step`. */
export function metricAppends(metrics: readonly MetricInput[]): MetricAppend[] {
  const streams = new Map<string, MetricAppend["points"][number][]>();
  const now = Date.now();
  for (const metric of metrics) {
    const stream = streamOfMetricKey(metric.key);
    let points = streams.get(stream);
    if (!points) streams.set(stream, (points = []));
    points.push({
      fields: { value: metric.value, step: metric.step ?? 0 },
      ts: (metric.timestamp ?? now) / 1000,
    });
  }
  return [...streams].map(([stream, points]) => ({ stream, points }));
}

/**
 * The run behind an MLflow run id (labrun's run id), after the project check, to write to it: a labrun run
 * MLflow did not create is read-only here (400 INVALID_STATE).
 */
export async function loadMlflowRun(
  store: Store,
  runId: string | undefined,
  principal: Principal,
): Promise<MlflowRun> {
  if (!runId) throw invalidParameter("Missing value for required parameter 'run_id'.");
  const run = runId.length <= 200 ? await store.getRun(runId) : undefined;
  const meta = run && mlflowMetadata(run);
  if (run && meta === undefined && isProjectRun(run)) refuseProjectRunWrite(run, principal);
  if (!run || meta?.kind !== "run") throw doesNotExist(`Run with id=${runId} not found`);
  checkProject(principal, run.project);
  return { run, record: meta as unknown as RunRecord };
}

export function artifactUri(record: RunRecord, runId: string): string {
  return `mlflow-artifacts:/${record.experimentId}/${runId}/artifacts`;
}

/** MLflow's `RunInfo` JSON. */
export function runInfoJson({ run, record }: MlflowRun): Record<string, unknown> {
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: record.runName,
    experiment_id: record.experimentId,
    user_id: record.userId,
    status: mlflowStatusOf(run.status),
    start_time: record.startTime,
    ...(run.endedAt ? { end_time: record.endTime ?? Date.parse(run.endedAt) } : {}),
    artifact_uri: artifactUri(record, run.id),
    lifecycle_stage: run.deleted || record.deletedTime !== undefined ? "deleted" : "active",
  };
}

const paramText = (value: JsonValue): string => (typeof value === "string" ? value : JSON.stringify(value));

/** MLflow's `Run` JSON: info, data (latest metrics, params, tags), inputs. */
export async function runJson(store: Store, mlflowRun: MlflowRun): Promise<Record<string, unknown>> {
  const { run, record } = mlflowRun;
  const [params, streams] = await Promise.all([store.getParams(run.id), store.listMetricStreams(run.id)]);
  const metrics = streams
    .filter((stream) => stream.summary.value !== undefined)
    .map((stream) => ({
      key: metricKeyOfStream(stream.stream),
      value: stream.summary.value!.last,
      timestamp: Math.round((stream.lastTs ?? 0) * 1000),
      step: Number(stream.summary.step?.last ?? 0),
    }));
  return {
    info: runInfoJson(mlflowRun),
    data: {
      metrics,
      params: Object.entries(params).map(([key, value]) => ({ key, value: paramText(value) })),
      tags: Object.entries(record.tags).map(([key, value]) => ({ key, value })),
    },
    inputs: {
      ...(record.datasetInputs?.length ? { dataset_inputs: record.datasetInputs } : {}),
      ...(record.modelInputs?.length ? { model_inputs: record.modelInputs } : {}),
    },
    outputs: record.modelOutputs?.length ? { model_outputs: record.modelOutputs } : {},
  };
}

/** Creates the labrun run `mlflow/<experiment>/<name>-<random>` for MLflow's runs/create. */
export async function createMlflowRun(
  store: Store,
  experiment: Experiment,
  input: { userId?: string; runName?: string; startTime?: number; tags: Record<string, string> },
): Promise<MlflowRun> {
  const runName = input.runName || input.tags["mlflow.runName"] || `run-${randomUUID().slice(0, 8)}`;
  const record: RunRecord = {
    kind: "run",
    experimentId: experiment.id,
    runName,
    userId: input.userId ?? "",
    startTime: input.startTime ?? Date.now(),
    tags: { ...input.tags, "mlflow.runName": runName },
  };
  const run = await store.upsertRun({
    prefix: `${experiment.run.prefix}/${runSegment(runName)}`,
    ...(input.tags["mlflow.note.content"] ? { description: input.tags["mlflow.note.content"] } : {}),
    metadata: { mlflow: record as unknown as JsonValue },
  });
  return { run, record };
}

/** Replaces the run's MLflow record (tags, name, end time, lifecycle, inputs, outputs). */
export async function saveRecord(store: Store, mlflowRun: MlflowRun, record: RunRecord): Promise<MlflowRun> {
  const run = await replaceMlflowMetadata(store, mlflowRun.run, record, record.tags["mlflow.note.content"]);
  return { run, record };
}

/**
 * MLflow's log-batch as one labrun batch: metrics become points `{value, step}` of the stream named after
 * the key, params are immutable (a different value is 400 INVALID_PARAMETER_VALUE, nothing written), and
 * tags go to the run's MLflow record once the batch is stored.
 */
export async function logBatch(
  store: Store,
  mlflowRun: MlflowRun,
  batch: {
    metrics?: readonly MetricInput[];
    params?: readonly { key: string; value: string }[];
    tags?: readonly { key: string; value: string }[];
  },
): Promise<void> {
  const metrics = batch.metrics ?? [];
  const params = batch.params ?? [];
  const tags = batch.tags ?? [];
  if (metrics.length + params.length + tags.length > mlflowLimits.entitiesPerBatch) {
    throw invalidParameter(
      `A batch logging request can contain at most ${mlflowLimits.entitiesPerBatch} metrics, params, and tags in total.`,
    );
  }
  const paramRecord: Record<string, string> = {};
  for (const param of params) {
    if (param.key in paramRecord && paramRecord[param.key] !== param.value) {
      throw invalidParameter(
        `Duplicate parameter keys have been submitted: ${param.key} with different values.`,
      );
    }
    paramRecord[param.key] = param.value;
  }
  const appends = metricAppends(metrics);
  if (appends.length > 0 || params.length > 0) {
    await store.applyBatch(mlflowRun.run.id, {
      clientId: `mlflow-${randomUUID()}`,
      seq: 1,
      ...(params.length > 0 ? { params: paramRecord, immutableParams: true } : {}),
      ...(appends.length > 0 ? { metrics: appends } : {}),
    });
  }
  if (tags.length > 0) {
    const current = await store.getRun(mlflowRun.run.id);
    const record = (current && (mlflowMetadata(current) as unknown as RunRecord)) ?? mlflowRun.record;
    const next: Record<string, string> = { ...record.tags };
    for (const tag of tags) next[tag.key] = tag.value;
    await saveRecord(
      store,
      { run: current ?? mlflowRun.run, record },
      {
        ...record,
        ...(next["mlflow.runName"] ? { runName: next["mlflow.runName"] } : {}),
        tags: next,
      },
    );
  }
}

/** Experiments a runs/search covers, resolved with the caller's rights. */
export async function experimentsOf(
  catalog: ExperimentCatalog,
  ids: readonly string[],
  principal: Principal,
) {
  return Promise.all(ids.map((id) => catalog.byId(id, principal)));
}
