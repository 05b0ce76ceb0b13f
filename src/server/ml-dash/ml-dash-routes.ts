import type { Hono, MiddlewareHandler } from "hono";
import type { ServerEnv } from "../auth.js";
import type { ServerContext } from "../context.js";
import { mlDashExperimentRoutes } from "./ml-dash-experiment-data.js";
import { mlDashGraphqlRoutes } from "./ml-dash-graphql.js";
import { mlDashNodeRoutes } from "./ml-dash-nodes.js";

/**
 * ML-Dash's protocol (what its Python client 0.11 calls in remote and hybrid mode): GraphQL at /graphql,
 * REST under /api/namespaces, /api/nodes, /api/experiments and /api/search. Its experiments are labrun
 * runs (`namespace/project/folders/name` is the run's prefix) and its token is a labrun token.
 */
export function mlDashRoutes(
  app: Hono<ServerEnv>,
  ctx: ServerContext,
  authenticate: MiddlewareHandler<ServerEnv>,
): void {
  app.use("/graphql", authenticate);
  mlDashGraphqlRoutes(app, ctx);
  mlDashNodeRoutes(app, ctx);
  mlDashExperimentRoutes(app, ctx);
}
