import { z } from "zod";

// MLflow's request messages. Objects are not strict: MLflow clients send fields of newer versions
// (`run_uuid`, `model_id`, `dataset_name`), which MLflow's own server ignores too.

/** MLflow's limits (mlflow/utils/validation.py). */
export const mlflowLimits = Object.freeze({
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  experimentTagValueLength: 20000,
  paramsTagsPerBatch: 100,
  metricsPerBatch: 1000,
  entitiesPerBatch: 1000,
  maxResults: 50000,
});

/** int64 fields arrive as numbers or, from protobuf's JSON writer, as decimal strings. */
const int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const key = z.string().min(1).max(mlflowLimits.keyLength);
/** A metric value: a number, or "NaN", "Infinity", "-Infinity" as protobuf writes them. */
const metricValue = z.union([
  z.number(),
  z.enum(["NaN", "Infinity", "-Infinity"]).transform((text) => Number(text)),
]);
const tag = z.object({ key, value: z.string().max(mlflowLimits.tagValueLength) });

export const experimentCreateSchema = z.object({
  name: z.string().min(1).max(mlflowLimits.experimentNameLength),
  artifact_location: z.string().optional(),
  tags: z.array(z.object({ key, value: z.string().max(mlflowLimits.experimentTagValueLength) })).optional(),
});
export const experimentGetSchema = z.object({ experiment_id: z.string().min(1) });
export const experimentByNameSchema = z.object({ experiment_name: z.string().min(1) });
export const experimentSearchSchema = z.object({
  max_results: int64.optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: z.union([z.array(z.string()), z.string()]).optional(),
  view_type: z.string().optional(),
});

const runIdFields = { run_id: z.string().optional(), run_uuid: z.string().optional() };

export const runCreateSchema = z.object({
  experiment_id: z.string().optional(),
  user_id: z.string().max(1000).optional(),
  run_name: z.string().max(250).optional(),
  start_time: int64.optional(),
  tags: z.array(tag).optional(),
});
export const runGetSchema = z.object(runIdFields);
export const runUpdateSchema = z.object({
  ...runIdFields,
  status: z.enum(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]).optional(),
  end_time: int64.optional(),
  run_name: z.string().max(250).optional(),
});
export const runDeleteSchema = z.object({ run_id: z.string().min(1) });
export const metricSchema = z.object({
  key,
  value: metricValue,
  timestamp: int64.optional(),
  step: int64.optional(),
  model_id: z.string().max(200).optional(),
  dataset_name: z.string().max(500).optional(),
  dataset_digest: z.string().max(36).optional(),
});
export const paramSchema = z.object({ key, value: z.string().max(mlflowLimits.paramValueLength) });
export const logBatchSchema = z.object({
  ...runIdFields,
  metrics: z.array(metricSchema).max(mlflowLimits.metricsPerBatch).optional(),
  params: z.array(paramSchema).max(mlflowLimits.paramsTagsPerBatch).optional(),
  tags: z.array(tag).max(mlflowLimits.paramsTagsPerBatch).optional(),
});
export const logMetricSchema = z.object({ ...runIdFields, ...metricSchema.shape });
export const logParamSchema = z.object({ ...runIdFields, ...paramSchema.shape });
export const setTagSchema = z.object({ ...runIdFields, ...tag.shape });
export const runSearchSchema = z.object({
  experiment_ids: z.array(z.string()).optional(),
  filter: z.string().optional(),
  run_view_type: z.string().optional(),
  max_results: int64.optional(),
  order_by: z.array(z.string()).optional(),
  page_token: z.string().optional(),
});
export const metricHistorySchema = z.object({
  ...runIdFields,
  metric_key: key,
  page_token: z.string().optional(),
  max_results: int64.optional(),
});

export const runRestoreSchema = z.object({ run_id: z.string().min(1) });
export const deleteTagSchema = z.object({ ...runIdFields, key });
const datasetInput = z.object({
  tags: z.array(tag).optional(),
  dataset: z.object({
    name: z.string().min(1).max(500),
    digest: z.string().min(1).max(36),
    source_type: z.string().max(500),
    source: z.string().max(65535),
    schema: z.string().max(1048576).optional(),
    profile: z.string().max(16384).optional(),
  }),
});
export const logInputsSchema = z.object({
  run_id: z.string().min(1),
  datasets: z.array(datasetInput).max(1000).optional(),
  models: z
    .array(z.object({ model_id: z.string().min(1) }))
    .max(1000)
    .optional(),
});
export const logOutputsSchema = z.object({
  run_id: z.string().min(1),
  models: z.array(z.object({ model_id: z.string().min(1), step: int64.optional() })).max(1000),
});
export const experimentIdSchema = z.object({ experiment_id: z.string().min(1) });
export const experimentUpdateSchema = z.object({
  experiment_id: z.string().min(1),
  new_name: z.string().min(1).max(mlflowLimits.experimentNameLength),
});
export const experimentTagSchema = z.object({
  experiment_id: z.string().min(1),
  key,
  value: z.string().max(mlflowLimits.experimentTagValueLength),
});
export const experimentTagDeleteSchema = z.object({ experiment_id: z.string().min(1), key });

const modelParam = z.object({ key, value: z.string().max(mlflowLimits.paramValueLength) });
export const loggedModelStatus = z.enum([
  "LOGGED_MODEL_STATUS_UNSPECIFIED",
  "LOGGED_MODEL_PENDING",
  "LOGGED_MODEL_READY",
  "LOGGED_MODEL_UPLOAD_FAILED",
]);
export const loggedModelCreateSchema = z.object({
  experiment_id: z.string().min(1),
  name: z.string().max(500).optional(),
  model_type: z.string().max(500).optional(),
  source_run_id: z.string().optional(),
  params: z.array(modelParam).max(1000).optional(),
  tags: z.array(tag).max(1000).optional(),
});
export const loggedModelFinalizeSchema = z.object({
  model_id: z.string().optional(),
  status: loggedModelStatus,
});
export const loggedModelTagsSchema = z.object({ tags: z.array(tag).max(1000).optional() });
export const loggedModelParamsSchema = z.object({ params: z.array(modelParam).max(1000).optional() });
export const loggedModelSearchSchema = z.object({
  experiment_ids: z.array(z.string()).optional(),
  filter: z.string().optional(),
  datasets: z.array(z.object({ dataset_name: z.string(), dataset_digest: z.string().optional() })).optional(),
  max_results: int64.optional(),
  order_by: z
    .array(
      z.object({
        field_name: z.string(),
        ascending: z.boolean().optional(),
        dataset_name: z.string().optional(),
        dataset_digest: z.string().optional(),
      }),
    )
    .optional(),
  page_token: z.string().optional(),
});
