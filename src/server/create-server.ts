import { Hono } from "hono";
import { MethodNotAllowedError, RouteNotFoundError, UsageError } from "../errors.js";
import { methodsFor } from "./method-not-allowed.js";
import { authMiddleware, type ServerEnv } from "./auth.js";
import type { ServerContext } from "./context.js";
import { errorResponse } from "./error-mapper.js";
import { mlflowErrorResponse } from "./mlflow/mlflow-errors.js";
import { mlflowRoutes } from "./mlflow/mlflow-routes.js";
import { mlDashRoutes } from "./ml-dash/ml-dash-routes.js";
import { defaultLimits, type ServerOptions } from "./options.js";
import { openApiDocument } from "./openapi.js";
import { eventRoutes } from "./routes/events.js";
import { eventsFor } from "./shared-events.js";
import { fileRoutes } from "./routes/files.js";
import { ingestRoutes } from "./routes/ingest.js";
import { logRoutes } from "./routes/logs.js";
import { metricRoutes } from "./routes/metrics.js";
import { runRoutes } from "./routes/runs.js";
import { requestGuard } from "./request-guard.js";
import { listen, type ListenOptions, type RunningServer } from "./listen.js";

/** The labrun server before it listens: a Hono app plus what shutdown needs. */
export interface LabrunServer {
  /** The Hono application (mount more routes on it, or call `app.request()` in tests). */
  readonly app: Hono<ServerEnv>;
  readonly fetch: (request: Request) => Response | Promise<Response>;
  readonly context: ServerContext;
  /** Starts listening; `close()` on the result drains and closes the store. */
  listen(options: ListenOptions): Promise<RunningServer>;
}

const publicPaths = new Set(["/api/health", "/api/openapi.json"]);

/**
 * Builds the labrun HTTP server: the JSON API under /api, MLflow's REST API under /api/2.0, bearer-token
 * auth, SSE live updates and file up/download.
 *
 * @example
 * ```ts
 * const server = createServer({ store, authStore, files: new LocalFileStorage("files") });
 * const running = await server.listen({ port: 4400, host: "127.0.0.1" });
 * // … later: await running.close(); // drains requests, closes the store
 * ```
 */
export function createServer(options: ServerOptions): LabrunServer {
  const auth = options.auth ?? true;
  if (auth && !options.authStore) {
    throw new UsageError(
      "createServer needs an authStore to check tokens (or auth: false for a loopback-only server).",
    );
  }
  const limits = Object.freeze({ ...defaultLimits, ...options.limits });
  const logError = options.logError ?? ((error: unknown) => console.error("labrun server:", error));
  const context: ServerContext = {
    store: options.store,
    files: options.files,
    events: options.events ?? eventsFor(options.store),
    limits,
    version: options.version ?? "0.0.0",
  };
  const app = new Hono<ServerEnv>();

  app.onError((error, c) => {
    if (/^\/api\/[23]\.0\//.test(c.req.path)) {
      const { status, body } = mlflowErrorResponse(error, logError);
      return c.json(body, status as 400);
    }
    const { status, body } = errorResponse(error, logError);
    // The database is unreachable (restarting, failing over): clients retry, and a proxy may try another replica.
    if (status === 503) c.header("retry-after", "1");
    return c.json(body, status as 400);
  });
  app.notFound((c) => {
    const allowed = methodsFor(app.routes, c.req.path);
    const error =
      allowed.length > 0
        ? new MethodNotAllowedError(c.req.method, c.req.path, allowed)
        : new RouteNotFoundError(c.req.method, c.req.path);
    if (allowed.length > 0) c.header("allow", allowed.join(", "));
    if (/^\/api\/[23]\.0\//.test(c.req.path)) {
      const { status, body } = mlflowErrorResponse(error, logError);
      return c.json(body, status as 404);
    }
    const { status, body } = errorResponse(error, logError);
    return c.json(body, status as 404);
  });

  app.use(
    "*",
    requestGuard(options.requestPolicy ?? { hosts: "any", ipLiterals: true }, () => app.routes),
  );
  const authenticate = authMiddleware(options.authStore, auth);
  app.use("/api/*", async (c, next) => (publicPaths.has(c.req.path) ? next() : authenticate(c, next)));

  app.get("/api/health", (c) => c.json({ ok: true, version: context.version, store: options.store.kind }));
  const openapi = openApiDocument(context.version);
  app.get("/api/openapi.json", (c) => c.json(openapi));

  runRoutes(app, context);
  ingestRoutes(app, context);
  metricRoutes(app, context);
  logRoutes(app, context);
  fileRoutes(app, context);
  eventRoutes(app, context);
  mlflowRoutes(app, context);
  mlDashRoutes(app, context, authenticate);
  options.extend?.(app);

  return {
    app,
    fetch: (request) => app.fetch(request),
    context,
    listen: (listenOptions) => listen(app, context, listenOptions),
  };
}
