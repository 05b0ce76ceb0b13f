import type { Store, StoredRun } from "../../store/store.js";
import { checkProject, type Principal } from "../auth.js";
import { doesNotExist, invalidParameter } from "./mlflow-errors.js";
import { mlflowMetadata } from "./mlflow-experiments.js";
import { mlflowStatusOf } from "./mlflow-names.js";
import {
  isProjectRun,
  projectExperimentId,
  projectExperimentRoot,
  readOnlyError,
} from "./mlflow-project-experiments.js";
import type { MlflowRun, RunRecord } from "./mlflow-records.js";

/** A labrun run that MLflow did not create, seen read-only in its project's experiment. */
export interface ProjectRun {
  readonly run: StoredRun;
}

const experimentNameOf = (run: StoredRun) => `${projectExperimentRoot}/${run.owner}/${run.project}`;

/**
 * The run behind an MLflow run id, to read it: an MLflow run, or a labrun run of a project experiment (after
 * the project check). Experiment and logged-model records are not runs (404).
 */
export async function loadRunToRead(
  store: Store,
  runId: string | undefined,
  principal: Principal,
): Promise<MlflowRun | ProjectRun> {
  if (!runId) throw invalidParameter("Missing value for required parameter 'run_id'.");
  const run = runId.length <= 200 ? await store.getRun(runId) : undefined;
  if (!run) throw doesNotExist(`Run with id=${runId} not found`);
  const meta = mlflowMetadata(run);
  if (meta?.kind === "run") {
    checkProject(principal, run.project);
    return { run, record: meta as unknown as RunRecord };
  }
  if (meta !== undefined || !isProjectRun(run)) throw doesNotExist(`Run with id=${runId} not found`);
  checkProject(principal, run.project);
  return { run };
}

/** For MLflow's writes: a project run (after the project check) is refused as read-only. */
export function refuseProjectRunWrite(run: StoredRun, principal: Principal): never {
  checkProject(principal, run.project);
  throw readOnlyError(`Run ${run.id}`, experimentNameOf(run));
}

export const isMlflowRun = (run: MlflowRun | ProjectRun): run is MlflowRun => "record" in run;

/** MLflow's `RunInfo` JSON of a project run: name = the prefix's last segment, user = its owner. */
export function projectRunInfoJson({ run }: ProjectRun): Record<string, unknown> {
  const experimentId = projectExperimentId(run.owner, run.project);
  // An SDK in remote mode stamps the end with its own clock and creates the run on the server in the
  // background: a short run can end before the server's creation time. It started no later than it ended.
  const end = run.endedAt ? Date.parse(run.endedAt) : undefined;
  const start = Math.min(Date.parse(run.createdAt), end ?? Infinity);
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: experimentId,
    user_id: run.owner,
    status: mlflowStatusOf(run.status),
    start_time: start,
    ...(end !== undefined ? { end_time: end } : {}),
    artifact_uri: `mlflow-artifacts:/${experimentId}/${run.id}/artifacts`,
    lifecycle_stage: run.deleted ? "deleted" : "active",
  };
}

/** The MLflow tags of a project run: MLflow's names where MLflow has one, `labrun.*` for the rest. */
export function projectRunTags(run: StoredRun): Record<string, string> {
  const segments = run.prefix.split("/");
  const folder = segments.slice(2, -1).join("/");
  return {
    "mlflow.runName": run.name,
    "mlflow.user": run.owner,
    ...(run.description ? { "mlflow.note.content": run.description } : {}),
    "labrun.prefix": run.prefix,
    ...(folder ? { "labrun.folder": folder } : {}),
    "labrun.status": run.status,
    ...(run.tags.length > 0 ? { "labrun.tags": run.tags.join(",") } : {}),
    ...(run.bindrs.length > 0 ? { "labrun.bindrs": run.bindrs.join(",") } : {}),
    ...(run.error ? { "labrun.error": run.error } : {}),
  };
}

/** The field of a stream's points that MLflow sees as the step (else the point's index). */
const stepField = "step";

/** The MLflow metric key of a numeric field of a labrun stream: `field` in the unnamed stream, else `stream.field`. */
export const projectMetricKey = (stream: string, field: string): string =>
  stream === "" ? field : `${stream}.${field}`;

const paramText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** MLflow's `Run` JSON of a project run: every numeric field of every stream is a metric (latest value). */
export async function projectRunJson(store: Store, projectRun: ProjectRun): Promise<Record<string, unknown>> {
  const { run } = projectRun;
  const [params, streams] = await Promise.all([store.getParams(run.id), store.listMetricStreams(run.id)]);
  const metrics: { key: string; value: number; timestamp: number; step: number }[] = [];
  for (const stream of streams) {
    const step = stream.summary[stepField]?.last;
    for (const [field, summary] of Object.entries(stream.summary)) {
      if (field === stepField || typeof summary.last !== "number") continue;
      metrics.push({
        key: projectMetricKey(stream.stream, field),
        value: summary.last,
        timestamp: Math.round((stream.lastTs ?? 0) * 1000),
        step: typeof step === "number" ? step : stream.count - 1,
      });
    }
  }
  return {
    info: projectRunInfoJson(projectRun),
    data: {
      metrics,
      params: Object.entries(params).map(([key, value]) => ({ key, value: paramText(value) })),
      tags: Object.entries(projectRunTags(run)).map(([key, value]) => ({ key, value })),
    },
    inputs: {},
    outputs: {},
  };
}

/**
 * metrics/get-history of a project run: the points of the stream and field the key names that hold a number
 * in that field, `offset` and `max` counted in the stream's points.
 */
export async function projectMetricHistory(
  store: Store,
  run: StoredRun,
  key: string,
  offset: number,
  max: number,
): Promise<{ metrics: Record<string, unknown>[]; more: boolean }> {
  const streams = await store.listMetricStreams(run.id, { summary: false });
  let target: { stream: string; field: string } | undefined;
  for (const stream of streams)
    for (const field of stream.fields)
      if (!target && field !== stepField && projectMetricKey(stream.stream, field) === key)
        target = { stream: stream.stream, field };
  if (!target) return { metrics: [], more: false };
  const series = await store.readMetrics(run.id, target.stream, { from: offset, to: offset + max });
  const metrics = series.points
    .filter((point) => typeof point.fields[target.field] === "number")
    .map((point) => {
      const step = point.fields[stepField];
      return {
        key,
        value: point.fields[target.field],
        timestamp: Math.round(point.ts * 1000),
        step: typeof step === "number" ? step : point.index,
      };
    });
  return { metrics, more: offset + max < series.count };
}
