import { Hono } from "hono";
import type { Context, Env } from "hono";
import { streamSSE } from "hono/streaming";
import {
  MethodNotAllowedError,
  RouteNotFoundError,
  StoredFileNotFoundError,
  UsageError,
} from "../../errors.js";
import { methodsFor } from "../method-not-allowed.js";
import { compileUserRegex } from "../../util/user-regex.js";
import type { RequestPolicy } from "../../util/request-policy.js";
import { errorResponse } from "../error-mapper.js";
import { wireReplacer } from "../../format/wire-json.js";
import { requestGuard } from "../request-guard.js";
import type { DashboardSource, MetricQuery } from "./dashboard-source.js";
import { serveAssets } from "./static-assets.js";
import { dashboardOpenApi } from "./dashboard-openapi.js";

export interface DashboardAppOptions {
  /** Folder of the built web app (default: the package's dist/web). */
  readonly assetsDir?: string;
  /** How often live views look for changes (ms, default 500). */
  readonly pollMs?: number;
  /**
   * Host names answered and Origin rules (`labrun ui`: `requestPolicy(host, --allowed-hosts)`). Only
   * `dashboardApp` applies it; an app that mounts the dashboard guards its own requests.
   */
  readonly requestPolicy?: RequestPolicy;
}

/** NaN and ±Infinity cannot cross as JSON numbers: they become strings, as in the rest of the API. */
const json = (c: Context, value: unknown, status = 200) =>
  c.body(JSON.stringify(value, wireReplacer), status as 200, {
    "content-type": "application/json; charset=utf-8",
  });

/** The request's JSON object body; anything else is a 400 USAGE. */
async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const value: unknown = await c.req.json().catch(() => undefined);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError("The request body must be a JSON object.");
  return value as Record<string, unknown>;
}

const num = (value: string | undefined): number | undefined =>
  value === undefined || value === "" || !Number.isFinite(Number(value)) ? undefined : Number(value);

/**
 * The dashboard's HTTP side: the built web app and a JSON/SSE API under `/api/dashboard/` over any
 * `DashboardSource`. Mounted alone by `labrun ui`, beside the team API by `labrun serve`.
 *
 * @example
 * const app = dashboardApp(new WorkspaceSource("/data/ws"));
 * serve({ fetch: app.fetch, port: 4500 });
 */
export function dashboardApp(source: DashboardSource, options: DashboardAppOptions = {}): Hono {
  const app = new Hono();
  app.onError((error, c) => {
    const { status, body } = errorResponse(error, (e) => console.error("labrun ui:", e));
    return json(c, body, status);
  });
  app.use(
    "*",
    requestGuard(options.requestPolicy ?? { hosts: "any", ipLiterals: true }, () => app.routes),
  );
  app.notFound((c) => {
    const allowed = methodsFor(app.routes, c.req.path);
    if (allowed.length > 0) c.header("allow", allowed.join(", "));
    const error =
      allowed.length > 0
        ? new MethodNotAllowedError(c.req.method, c.req.path, allowed)
        : new RouteNotFoundError(c.req.method, c.req.path);
    const { status, body } = errorResponse(error, () => undefined);
    return json(c, body, status);
  });
  mountDashboard(app, source, options);
  return app;
}

/**
 * Adds the dashboard to an existing app (the team server's): its API under `/api/dashboard/` (behind whatever
 * middleware the app runs on `/api/*`, such as token auth) and the web app on every other GET path that is
 * not under `/api/`. Mount it after the app's own routes.
 */
export function mountDashboard<E extends Env>(
  app: Hono<E>,
  source: DashboardSource,
  options: DashboardAppOptions = {},
): void {
  app.route("/api/dashboard", dashboardApi(source, options));
  const assets = serveAssets(options.assetsDir);
  app.get("*", (c, next) => (c.req.path.startsWith("/api/") ? next() : assets(c)));
}

/** The dashboard's JSON/SSE API over a source, to mount under `/api/dashboard`. */
export function dashboardApi(source: DashboardSource, options: DashboardAppOptions = {}): Hono {
  const pollMs = options.pollMs ?? 500;
  const api = new Hono();

  api.onError((error, c) => {
    const { status, body } = errorResponse(error, (e) => console.error("labrun dashboard:", e));
    return json(c, body, status);
  });

  const openapi = dashboardOpenApi();
  api.get("/openapi.json", (c) => json(c, openapi));
  api.get("/info", (c) =>
    json(c, { kind: source.kind, label: source.label, capabilities: source.capabilities }),
  );
  api.get("/experiments", async (c) => json(c, await source.listExperiments()));
  api.get("/experiments/:id", async (c) =>
    json(c, { experiment: await source.experiment(c.req.param("id")) }),
  );
  // What to cancel is always said: `{"job": name}` or `{"all": true}` (an empty body cancels nothing).
  api.post("/experiments/:id/cancel", async (c) => {
    const body = await jsonBody(c);
    const job = typeof body.job === "string" && body.job !== "" ? body.job : undefined;
    if (
      (job === undefined) === (body.all !== true) ||
      Object.keys(body).some((k) => k !== "job" && k !== "all")
    )
      throw new UsageError(
        'Say what to cancel: a body {"job": "<job name>"} for one job, or {"all": true} for every job.',
      );
    await source.cancel(c.req.param("id"), job);
    return json(c, { ok: true });
  });

  // Live experiment: the whole detail whenever it changes (jobs' states, metrics, services).
  api.get("/experiments/:id/events", (c) => {
    const id = c.req.param("id");
    return streamSSE(c, async (stream) => {
      let last = "";
      let beat = Date.now();
      while (!stream.aborted && !stream.closed) {
        let data: string;
        try {
          data = JSON.stringify(await source.experiment(id));
        } catch (error) {
          await stream.writeSSE({
            event: "problem",
            data: JSON.stringify({ message: (error as Error).message }),
          });
          return;
        }
        if (data !== last) {
          await stream.writeSSE({ event: "experiment", data });
          last = data;
          beat = Date.now();
        } else if (Date.now() - beat > 15_000) {
          await stream.write(": ping\n\n");
          beat = Date.now();
        }
        await stream.sleep(pollMs);
      }
    });
  });

  api.get("/experiments/:id/jobs/:job/log", (c) => {
    const follow = c.req.query("follow") === "1";
    const regex = c.req.query("regex") || undefined;
    if (regex !== undefined) compileUserRegex(regex); // INVALID_REGEX (400) before the stream starts
    const controller = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort());
      let batch: { stream: string; line: string }[] = [];
      let flushedAt = Date.now();
      const flush = async () => {
        if (batch.length > 0) await stream.writeSSE({ event: "lines", data: JSON.stringify(batch) });
        batch = [];
        flushedAt = Date.now();
      };
      try {
        for await (const line of source.jobLog(c.req.param("id"), c.req.param("job"), {
          follow,
          ...(regex ? { regex } : {}),
          signal: controller.signal,
        })) {
          batch.push(line);
          if (batch.length >= 500 || Date.now() - flushedAt > 100) await flush();
        }
        await flush();
        await stream.writeSSE({ event: "end", data: "{}" });
      } catch (error) {
        await flush();
        await stream.writeSSE({
          event: "problem",
          data: JSON.stringify({ message: (error as Error).message }),
        });
      }
    });
  });

  api.get("/runs", async (c) => json(c, await source.listRuns()));
  // A POST: the ids of a thousand runs do not fit in a URL.
  api.post("/runs-latest", async (c) => {
    const body = await jsonBody(c);
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    return json(c, { latest: await source.latestMetrics(strings(body.ids), strings(body.keys)) });
  });
  api.get("/runs/:id", async (c) => json(c, { run: await source.run(c.req.param("id")) }));
  api.get("/runs/:id/metrics/:stream", async (c) => {
    const query: MetricQuery = {
      by: c.req.query("by") ?? "index",
      field: c.req.query("field") ?? "value",
      maxPoints: Math.min(20_000, Math.max(10, num(c.req.query("maxPoints")) ?? 2000)),
      ...(num(c.req.query("from")) !== undefined ? { from: num(c.req.query("from"))! } : {}),
      ...(num(c.req.query("to")) !== undefined ? { to: num(c.req.query("to"))! } : {}),
    };
    return json(c, await source.metric(c.req.param("id"), c.req.param("stream"), query));
  });
  api.get("/runs/:id/logs", async (c) => {
    const level = c.req.query("level") || undefined;
    const regex = c.req.query("regex") || undefined;
    const tail = num(c.req.query("tail"));
    return json(c, {
      logs: await source.logs(c.req.param("id"), {
        ...(level ? { level } : {}),
        ...(regex ? { regex } : {}),
        ...(tail !== undefined ? { tail } : {}),
      }),
    });
  });
  api.get("/runs/:id/files", async (c) => json(c, { files: await source.files(c.req.param("id")) }));
  api.get("/runs/:id/files/:fileId", async (c) => {
    const file = await source.file(c.req.param("id"), c.req.param("fileId"));
    if (!file) throw new StoredFileNotFoundError(c.req.param("id"), c.req.param("fileId"));
    const disposition = c.req.query("download") === "1" ? "attachment" : "inline";
    return c.body(file.stream(), 200, {
      "content-type": file.contentType,
      "content-length": String(file.sizeBytes),
      "content-disposition": `${disposition}; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      "x-content-type-options": "nosniff",
      // A stored HTML or SVG file must not run scripts with the dashboard's origin.
      "content-security-policy": "sandbox",
    });
  });

  return api;
}
