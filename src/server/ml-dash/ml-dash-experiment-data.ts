import { randomUUID } from "node:crypto";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { BadRequestError } from "../../errors.js";
import type { JsonValue } from "../../format/json-codec.js";
import { checkStreamName, trackDirName } from "../../format/names.js";
import type { LogLevel, MetricPoint, RunBatch, StoredRun } from "../../store/store.js";
import type { ServerEnv } from "../auth.js";
import { decodeUtf8, parseJsonText, readBodyBytes, readJson, validate } from "../body.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { checkPoints } from "../fast-points.js";
import { publishBatch } from "../publish-batch.js";
import { setRunMetadata } from "../run-metadata.js";
import { metricRowsFormat, rowBlocks } from "./ml-dash-metric-rows.js";
import { floatFieldsOf, integralFloatKeys, rememberFloatFields } from "./ml-dash-float-fields.js";

const levels = ["debug", "info", "warn", "error", "fatal"] as const;
const logsSchema = z.object({
  logs: z.array(
    z.object({
      timestamp: z.string(),
      level: z.enum(levels),
      message: z.string(),
      metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
  ),
});
const paramsSchema = z.object({ data: z.record(z.string(), z.unknown()) });
const pointsSchema = z.object({ dataPoints: z.array(z.record(z.string(), z.unknown())) });
const pointSchema = z.object({ data: z.record(z.string(), z.unknown()) });
const trackBatchSchema = z.object({ entries: z.array(z.record(z.string(), z.unknown())) });
const trackOneSchema = z.object({ timestamp: z.number(), data: z.record(z.string(), z.unknown()) });
const trackCreateSchema = z.object({ topic: z.string().min(1) }).passthrough();
const rowsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z
    .string()
    .regex(/^[0-9]{1,15}$/, "a cursor this server returned")
    .optional(),
});
const logsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  level: z.string().optional(),
});

/** ML-Dash's metric name in a URL → labrun's stream: the unnamed metric (`None`) is the stream "". */
function streamOf(name: string): string {
  return name === "None" ? "" : checkStreamName("Metric name", name);
}

/** `{…fields, <timeKey>: seconds}` records → labrun points; the time is the point's `ts`, not a field. */
function toPoints(
  records: readonly Record<string, unknown>[],
  timeKey: string,
  where: string,
): MetricPoint[] {
  const now = Date.now() / 1000;
  const wire = records.map((record) => {
    const { [timeKey]: ts, ...fields } = record;
    return { fields, ts: typeof ts === "number" ? ts : now };
  });
  return checkPoints(wire, where);
}

async function write(ctx: ServerContext, run: StoredRun, batch: Omit<RunBatch, "clientId" | "seq">) {
  // Each ML-Dash request is one batch of its own (the client retries nothing): a fresh client id.
  const result = await ctx.store.applyBatch(run.id, { clientId: randomUUID(), seq: 0, ...batch });
  await publishBatch(ctx, run.id, batch, result);
}

/** Where a run keeps the topics whose stream name lost their `/` (`track.robot_pos` ← `robot/pos`). */
const trackTopicsKey = "mlDashTrackTopics";

function topicsOf(run: StoredRun): Readonly<Record<string, string>> {
  const value = run.metadata[trackTopicsKey];
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, string>)
    : {};
}

/** Records a topic with `/` once, so that list_tracks answers `robot/pos` as the client named it. */
async function rememberTopic(ctx: ServerContext, run: StoredRun, topic: string): Promise<void> {
  const folder = trackDirName(topic);
  const topics = topicsOf(run);
  if (folder === topic || topics[folder] === topic) return;
  await setRunMetadata(ctx.store, run, trackTopicsKey, { ...topics, [folder]: topic });
}

/** `readJson`, keeping the text too (its number literals tell `1.0` from `1`). */
async function readJsonAndText<T>(
  request: Request,
  schema: z.ZodType<T>,
  limits: ServerContext["limits"],
): Promise<{ value: T; text: string }> {
  const text = decodeUtf8(await readBodyBytes(request, limits.jsonBodyBytes));
  const parsed = text.trim() === "" ? {} : parseJsonText(text, limits.jsonDepth);
  return { value: validate(schema, parsed, "body"), text };
}

const runOf = (c: Context<ServerEnv>, ctx: ServerContext) => loadRun(c, ctx.store, c.req.param("id")!);

/** Parameters, logs, metrics and tracks of an experiment (a labrun run), in ML-Dash's REST shapes. */
export function mlDashExperimentRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store, limits } = ctx;
  const base = "/api/experiments/:id";

  app.post(`${base}/parameters`, async (c) => {
    const run = await runOf(c, ctx);
    const { data } = await readJson(c.req.raw, paramsSchema, limits);
    await write(ctx, run, { params: data as Record<string, JsonValue> });
    return sendJson({ id: run.id, experimentId: run.id, data: await store.getParams(run.id) });
  });

  app.get(`${base}/parameters`, async (c) => {
    const run = await runOf(c, ctx);
    return sendJson({ id: run.id, experimentId: run.id, data: await store.getParams(run.id) });
  });

  app.post(`${base}/logs`, async (c) => {
    const run = await runOf(c, ctx);
    const { logs } = await readJson(c.req.raw, logsSchema, limits);
    const before = (await store.queryLogs(run.id, { tail: 1 }))[0]?.sequence ?? -1;
    await write(ctx, run, {
      logs: logs.map((log) => ({
        level: log.level,
        message: log.message,
        timestamp: log.timestamp,
        ...(log.metadata ? { metadata: log.metadata as Record<string, JsonValue> } : {}),
      })),
    });
    return sendJson({
      created: logs.length,
      startSequence: before + 1,
      endSequence: before + logs.length,
      experimentId: run.id,
    });
  });

  app.get(`${base}/logs`, async (c) => {
    const run = await runOf(c, ctx);
    const query = validate(logsQuerySchema, c.req.query(), "query");
    const wanted = query.level
      ?.split(",")
      .filter((level): level is LogLevel => (levels as readonly string[]).includes(level));
    const all = await store.queryLogs(run.id, wanted?.length ? { levels: wanted } : {});
    const offset = query.offset ?? 0;
    const page = all.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
    return sendJson({
      logs: page.map((log) => ({ id: String(log.sequence), sequenceNumber: log.sequence, ...log })),
      total: all.length,
      offset,
      hasMore: offset + page.length < all.length,
    });
  });

  app.post(`${base}/metrics/:name/append`, async (c) => {
    const run = await runOf(c, ctx);
    const stream = streamOf(c.req.param("name"));
    const {
      value: { data },
      text,
    } = await readJsonAndText(c.req.raw, pointSchema, limits);
    await write(ctx, run, { metrics: [{ stream, points: toPoints([data], "_ts", "body.data") }] });
    await rememberFloatFields(ctx, run, stream, integralFloatKeys(text, "_ts"));
    return sendJson({ metricId: c.req.param("name"), count: 1 });
  });

  app.post(`${base}/metrics/:name/append-batch`, async (c) => {
    const run = await runOf(c, ctx);
    const stream = streamOf(c.req.param("name"));
    const {
      value: { dataPoints },
      text,
    } = await readJsonAndText(c.req.raw, pointsSchema, limits);
    await write(ctx, run, { metrics: [{ stream, points: toPoints(dataPoints, "_ts", "body.dataPoints") }] });
    await rememberFloatFields(ctx, run, stream, integralFloatKeys(text, "_ts"));
    return sendJson({ metricId: c.req.param("name"), count: dataPoints.length });
  });

  app.get(`${base}/metrics`, async (c) => {
    const run = await runOf(c, ctx);
    const streams = await store.listMetricStreams(run.id);
    return sendJson({
      metrics: streams
        .filter((s) => !s.stream.startsWith("track."))
        .map((s) => ({
          name: s.stream === "" ? "None" : s.stream,
          totalDataPoints: s.count,
          fields: s.fields,
        })),
    });
  });

  app.get(`${base}/metrics/:name/stats`, async (c) => {
    const run = await runOf(c, ctx);
    const stream = streamOf(c.req.param("name"));
    const summary = (await store.listMetricStreams(run.id)).find((s) => s.stream === stream);
    if (!summary) throw new BadRequestError(`Experiment ${run.id} has no metric "${c.req.param("name")}".`);
    return sendJson({
      metricId: c.req.param("name"),
      name: c.req.param("name"),
      totalDataPoints: summary.count,
      bufferedDataPoints: 0,
      fields: summary.fields,
      summary: summary.summary,
      firstDataAt: summary.firstTs ?? null,
      lastDataAt: summary.lastTs ?? null,
    });
  });

  app.get(`${base}/metrics/:name/rows`, async (c) => {
    const run = await runOf(c, ctx);
    const stream = streamOf(c.req.param("name"));
    const { limit, cursor } = validate(rowsQuerySchema, c.req.query(), "query");
    const from = cursor === undefined ? 0 : Number(cursor);
    const series = await store.readMetrics(run.id, stream, { from, to: from + limit });
    const end = from + series.points.length;
    const hasMore = end < series.count;
    return sendJson({
      format: metricRowsFormat,
      metricId: c.req.param("name"),
      visibility: "committed",
      order: "storage",
      blocks: rowBlocks(series.points, floatFieldsOf(run, stream)),
      returned: series.points.length,
      hasMore,
      nextCursor: hasMore ? String(end) : null,
    });
  });

  app.post(`${base}/tracks`, async (c) => {
    const run = await runOf(c, ctx);
    const body = await readJson(c.req.raw, trackCreateSchema, limits);
    return sendJson({ id: `${run.id}:${body.topic}`, topic: body.topic, experimentId: run.id });
  });

  app.post(`${base}/tracks/:topic/append`, async (c) => {
    const run = await runOf(c, ctx);
    const topic = c.req.param("topic");
    const { timestamp, data } = await readJson(c.req.raw, trackOneSchema, limits);
    const points = toPoints([{ ...data, timestamp }], "timestamp", "body");
    await write(ctx, run, { metrics: [{ stream: `track.${trackDirName(topic)}`, points }] });
    await rememberTopic(ctx, run, topic);
    return sendJson({ timestamp, data });
  });

  app.post(`${base}/tracks/:topic/append_batch`, async (c) => {
    const run = await runOf(c, ctx);
    const topic = c.req.param("topic");
    const { entries } = await readJson(c.req.raw, trackBatchSchema, limits);
    const points = toPoints(entries, "timestamp", "body.entries");
    await write(ctx, run, { metrics: [{ stream: `track.${trackDirName(topic)}`, points }] });
    await rememberTopic(ctx, run, topic);
    return sendJson({ count: entries.length });
  });

  app.get(`${base}/tracks`, async (c) => {
    const run = await runOf(c, ctx);
    const streams = await store.listMetricStreams(run.id);
    return sendJson({
      tracks: streams
        .filter((s) => s.stream.startsWith("track."))
        .map((s) => {
          const folder = s.stream.slice("track.".length);
          return { topic: topicsOf(run)[folder] ?? folder, entryCount: s.count, fields: s.fields };
        }),
    });
  });

  app.get(`${base}/tracks/:topic/data`, async (c) => {
    const run = await runOf(c, ctx);
    const topic = c.req.param("topic");
    const format = c.req.query("format") ?? "json";
    if (format !== "json" && format !== "jsonl")
      throw new BadRequestError(`labrun answers tracks as json or jsonl, not ${format.slice(0, 20)}.`);
    const start = Number(c.req.query("start_timestamp") ?? -Infinity);
    const end = Number(c.req.query("end_timestamp") ?? Infinity);
    const series = await store.readMetrics(run.id, `track.${trackDirName(topic)}`);
    const entries = series.points
      .filter((p) => p.ts >= start && p.ts <= end)
      .map((p) => ({ timestamp: p.ts, ...p.fields }));
    if (format === "jsonl")
      return new Response(entries.map((e) => JSON.stringify(e)).join("\n") + (entries.length ? "\n" : ""), {
        headers: { "content-type": "application/x-ndjson" },
      });
    return sendJson({ topic, entries, count: entries.length });
  });
}
