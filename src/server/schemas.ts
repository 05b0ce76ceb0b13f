import { z } from "zod";

// The request shapes of the JSON API, declared once: routes validate with them and /api/openapi.json is
// generated from them. Objects are strict (an unknown field is a 400, never silently dropped).

const isoDate = z
  .string()
  .max(64)
  .refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 date-time");

export const runStatusSchema = z.enum(["RUNNING", "COMPLETED", "FAILED", "CANCELLED", "UNKNOWN"]);
export const logLevelSchema = z.enum(["debug", "info", "warn", "error", "fatal"]);

const shortText = z.string().max(1024);
const tagList = z.array(z.string().min(1).max(256)).max(1000);
const flatKey = z
  .string()
  .min(1)
  .max(500)
  .refine((key) => !/[\u0000-\u001f]/.test(key), "control characters are not allowed in keys");
const jsonRecord = z.record(flatKey, z.json());

export const statusChangeSchema = z.strictObject({
  status: runStatusSchema,
  error: z.string().max(100_000).optional(),
  at: isoDate.optional(),
});

export const runUpsertSchema = z.strictObject({
  prefix: shortText.min(1),
  description: z.string().max(100_000).optional(),
  tags: tagList.optional(),
  bindrs: tagList.optional(),
  metadata: jsonRecord.optional(),
});

export const runPatchSchema = z.strictObject({
  description: z.string().max(100_000).optional(),
  tags: tagList.optional(),
  bindrs: tagList.optional(),
  status: statusChangeSchema.optional(),
  metadata: jsonRecord.optional(),
});

/**
 * A metric field value: usually a number, string, boolean or null, but any JSON (a histogram array) is
 * kept. NaN and ±Infinity travel as the strings "NaN", "Infinity", "-Infinity".
 */
export const metricValueSchema = z.json();

export const metricPointSchema = z.strictObject({
  fields: z.record(flatKey, metricValueSchema),
  ts: z.number().min(0).max(253_402_300_800),
});

export const metricAppendSchema = z.strictObject({
  stream: z.string().max(256),
  points: z.array(metricPointSchema),
});

export const newLogSchema = z.strictObject({
  level: logLevelSchema,
  message: z.string().max(1_000_000),
  metadata: jsonRecord.optional(),
  timestamp: isoDate,
});

export const runBatchSchema = z.strictObject({
  clientId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, "letters, digits, '.', '_', ':' and '-' only"),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  params: jsonRecord.optional(),
  immutableParams: z.boolean().optional(),
  metrics: z.array(metricAppendSchema).optional(),
  logs: z.array(newLogSchema).optional(),
  status: statusChangeSchema.optional(),
  description: z.string().max(100_000).optional(),
  tags: tagList.optional(),
});

const intText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const runSearchQuerySchema = z.strictObject({
  prefix: shortText.optional(),
  project: shortText.optional(),
  tag: z.string().max(256).optional(),
  status: runStatusSchema.optional(),
  sort: z
    .union([
      z.enum(["createdAt", "updatedAt", "prefix", "status"]),
      z
        .string()
        .regex(/^metric:./, "expected metric:<stream.field>")
        .max(1300),
    ])
    .optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: intText(1, 1000).optional(),
  cursor: z.string().max(1024).optional(),
});

const numberText = z
  .string()
  .regex(/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i, "expected a number")
  .transform(Number)
  .pipe(z.number().finite());
const flagText = z.enum(["0", "1"]).transform((text) => text === "1");

export const metricQuerySchema = z.strictObject({
  by: z.string().min(1).max(200).optional(),
  from: numberText.optional(),
  to: numberText.optional(),
  edges: flagText.optional(),
  last: intText(0, Number.MAX_SAFE_INTEGER).optional(),
  approximate: flagText.optional(),
  maxPoints: intText(1, 100_000).optional(),
  fields: z.string().max(10_000).optional(),
});

export const logQuerySchema = z.strictObject({
  level: z.string().max(100).optional(),
  regex: z.string().max(1000).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  tail: intText(1, 1_000_000).optional(),
  after: intText(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: intText(1, 1_000_000).optional(),
});

export const fileUploadQuerySchema = z.strictObject({
  prefix: z.string().max(1024).optional(),
  filename: z.string().min(1).max(255),
});

export const fileListQuerySchema = z.strictObject({ prefix: z.string().max(1024).optional() });
export const byPrefixQuerySchema = z.strictObject({ prefix: shortText.min(1) });

/**
 * What POST …/batches validates with zod: the batch with its points left to `checkPoints` (fast-points.ts),
 * which checks them by hand. `runBatchSchema` above is the documented shape.
 */
export const runBatchWireSchema = runBatchSchema.extend({
  metrics: z.array(z.strictObject({ stream: z.string().max(256), points: z.array(z.unknown()) })).optional(),
});
