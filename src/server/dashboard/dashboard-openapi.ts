import { z } from "zod";
import { errorSchema, responses, SchemaRegistry } from "../openapi-tools.js";

const id = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });
const query = (name: string, schema: object) => ({ name, in: "query", required: false, schema });

/** What the dashboard's cancel takes: one job, or every job said explicitly. */
export const cancelBodySchema = z.union([
  z.strictObject({ job: z.string().min(1) }),
  z.strictObject({ all: z.literal(true) }),
]);
export const latestBodySchema = z.strictObject({ ids: z.array(z.string()), keys: z.array(z.string()) });

interface DashboardOperation {
  readonly method: "get" | "post";
  readonly path: string;
  readonly summary: string;
  readonly parameters?: readonly object[];
  readonly body?: z.ZodType;
  readonly produces?: string;
}

const operations: readonly DashboardOperation[] = [
  { method: "get", path: "/info", summary: "{ kind, label, capabilities }" },
  { method: "get", path: "/openapi.json", summary: "This document" },
  { method: "get", path: "/experiments", summary: "{ experiments, warnings: [{ file, problem }] }" },
  {
    method: "get",
    path: "/experiments/{id}",
    summary: "{ experiment } (with its warnings)",
    parameters: [id("id")],
  },
  {
    method: "get",
    path: "/experiments/{id}/events",
    summary: "SSE: `experiment` on every change",
    parameters: [id("id")],
    produces: "text/event-stream",
  },
  {
    method: "get",
    path: "/experiments/{id}/jobs/{job}/log",
    summary: "SSE: `lines`, then `end` (or `problem`)",
    parameters: [
      id("id"),
      id("job"),
      query("follow", { enum: ["0", "1"] }),
      query("regex", { type: "string" }),
    ],
    produces: "text/event-stream",
  },
  {
    method: "post",
    path: "/experiments/{id}/cancel",
    summary: '{ ok }: cancels {"job": name} and its dependents, or {"all": true}',
    parameters: [id("id")],
    body: cancelBodySchema,
  },
  { method: "get", path: "/runs", summary: "{ runs, warnings: [{ file, problem }] }" },
  {
    method: "post",
    path: "/runs-latest",
    summary: "{ latest }: stream.field values per run",
    body: latestBodySchema,
  },
  { method: "get", path: "/runs/{id}", summary: "{ run } (with its warnings)", parameters: [id("id")] },
  {
    method: "get",
    path: "/runs/{id}/metrics/{stream}",
    summary: "{ x, y, total, downsampled, xMin, xMax, t0 }",
    parameters: [
      id("id"),
      id("stream"),
      query("by", { type: "string" }),
      query("field", { type: "string" }),
      ...["maxPoints", "from", "to"].map((name) => query(name, { type: "string" })),
    ],
  },
  {
    method: "get",
    path: "/runs/{id}/logs",
    summary: "{ logs }",
    parameters: [
      id("id"),
      query("level", { type: "string" }),
      query("regex", { type: "string" }),
      query("tail", { type: "string" }),
    ],
  },
  { method: "get", path: "/runs/{id}/files", summary: "{ files }", parameters: [id("id")] },
  {
    method: "get",
    path: "/runs/{id}/files/{fileId}",
    summary: "The file's bytes",
    parameters: [id("id"), id("fileId"), query("download", { enum: ["0", "1"] })],
    produces: "application/octet-stream",
  },
];

/** The OpenAPI 3.1 document of the dashboard's API (`/api/dashboard/openapi.json`). */
export function dashboardOpenApi(): Record<string, unknown> {
  const registry = new SchemaRegistry();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const content = op.produces
      ? { [op.produces]: { schema: {} } }
      : { "application/json": { schema: { type: "object" } } };
    const operation: Record<string, unknown> = {
      summary: op.summary,
      parameters: op.parameters ?? [],
      responses: responses(op.summary, content),
    };
    if (op.body)
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: registry.json(op.body) } },
      };
    (paths[`/api/dashboard${op.path}`] ??= {})[op.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "labrun dashboard API",
      version: "1",
      description:
        "What the web dashboard reads (labrun ui over a workspace, labrun serve over its store). " +
        'Errors: {"error":{"code","message","details"}}. POSTs need Content-Type: application/json.',
    },
    components: { schemas: { Error: errorSchema, ...registry.schemas } },
    paths,
  };
}
