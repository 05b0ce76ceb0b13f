import type { z } from "zod";
import { errorSchema, responses, SchemaRegistry } from "./openapi-tools.js";
import {
  byPrefixQuerySchema,
  fileListQuerySchema,
  fileUploadQuerySchema,
  logQuerySchema,
  metricQuerySchema,
  runBatchSchema,
  runPatchSchema,
  runSearchQuerySchema,
  runUpsertSchema,
} from "./schemas.js";

interface Operation {
  readonly method: "get" | "post" | "put" | "patch" | "delete";
  readonly path: string;
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly rawBody?: boolean;
  readonly query?: z.ZodObject;
  readonly response: string;
  readonly auth?: false;
  /** The success's media type when it is not JSON. */
  readonly produces?: "application/octet-stream" | "text/event-stream";
}

const successContent = (op: Operation): Record<string, unknown> =>
  op.produces ? { [op.produces]: { schema: {} } } : { "application/json": { schema: { type: "object" } } };

const runId = { name: "runId", in: "path", required: true, schema: { type: "string" } };

/** Every endpoint of the JSON API (the MLflow-compatible ones are documented in docs/mlflow.md). */
const operations: readonly Operation[] = [
  {
    method: "get",
    path: "/api/health",
    summary: "Liveness and version",
    response: "{ ok, version, store }",
    auth: false,
  },
  {
    method: "get",
    path: "/api/openapi.json",
    summary: "This document",
    response: "OpenAPI 3.1",
    auth: false,
  },
  {
    method: "post",
    path: "/api/runs",
    summary: "Create (RUNNING) or update the run of a prefix",
    body: runUpsertSchema,
    response: "{ run: StoredRun }",
  },
  {
    method: "get",
    path: "/api/runs",
    summary: "Search runs; also param.<flatkey>=<value> filters",
    query: runSearchQuerySchema,
    response: "{ runs: RunWithLatest[], total, nextCursor? }",
  },
  {
    method: "get",
    path: "/api/runs/by-prefix",
    summary: "The run of a prefix",
    query: byPrefixQuerySchema,
    response: "{ run }",
  },
  { method: "get", path: "/api/runs/{runId}", summary: "One run", response: "{ run }" },
  {
    method: "patch",
    path: "/api/runs/{runId}",
    summary: "Change description, tags, bindrs, status",
    body: runPatchSchema,
    response: "{ run }",
  },
  { method: "delete", path: "/api/runs/{runId}", summary: "Delete (soft) a run", response: "{ ok: true }" },
  {
    method: "post",
    path: "/api/runs/{runId}/batches",
    summary: "Append a batch, all or nothing, idempotent by (clientId, seq)",
    body: runBatchSchema,
    response: "{ duplicate }",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/params",
    summary: "Flattened parameters",
    response: "{ params }",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/metrics",
    summary: "Metric streams with summaries",
    response: "{ streams: MetricStreamSummary[] }",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/metrics/{stream}",
    summary: "Points of a stream (the unnamed stream: None), downsampled keeping extremes",
    query: metricQuerySchema,
    response: "MetricSeries",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/logs",
    summary: "Log records (level=a,b; regex; since; until; tail; after; limit)",
    query: logQuerySchema,
    response: "{ logs: StoredLog[] }",
  },
  {
    method: "put",
    path: "/api/runs/{runId}/files",
    summary: "Upload a file (raw body, streamed; X-Labrun-Sha256 checked when given)",
    query: fileUploadQuerySchema,
    rawBody: true,
    response: "{ file: StoredFile }",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/files",
    summary: "Files of a run",
    query: fileListQuerySchema,
    response: "{ files: StoredFile[] }",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/files/{fileId}",
    summary: "Bytes of a file (ETag = sha256)",
    response: "raw bytes",
    produces: "application/octet-stream",
  },
  {
    method: "get",
    path: "/api/runs/{runId}/events",
    summary: "Server-Sent Events: status, metrics, logs; ': ping' every 15 s",
    response: "text/event-stream",
    produces: "text/event-stream",
  },
];

/** The OpenAPI 3.1 document served at /api/openapi.json, generated from the zod schemas the routes use. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const registry = new SchemaRegistry();
  for (const op of operations) {
    const parameters: object[] = [];
    if (op.path.includes("{runId}")) parameters.push(runId);
    for (const name of ["stream", "fileId"]) {
      if (op.path.includes(`{${name}}`))
        parameters.push({ name, in: "path", required: true, schema: { type: "string" } });
    }
    if (op.query) parameters.push(...registry.queryParameters(op.query));
    const operation: Record<string, unknown> = {
      summary: op.summary,
      parameters,
      responses: responses(op.response, successContent(op)),
    };
    if (op.body)
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: registry.json(op.body) } },
      };
    if (op.rawBody)
      operation.requestBody = { required: true, content: { "application/octet-stream": { schema: {} } } };
    if (op.auth === false) operation.security = [];
    (paths[op.path] ??= {})[op.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "labrun server API",
      version,
      description:
        "Runs, parameters, metrics, logs, files and live events of the labrun tracking server. " +
        'Errors: {"error":{"code","message","details"}}. NaN and ±Infinity in metric fields travel as the strings ' +
        '"NaN", "Infinity", "-Infinity".',
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: errorSchema, ...registry.schemas },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
