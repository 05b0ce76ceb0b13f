import type { Hono } from "hono";
import { BadRequestError } from "../../errors.js";
import type { LogLevel, LogQuery } from "../../store/store.js";
import type { ServerEnv } from "../auth.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { readQuery } from "../query.js";
import { compileUserRegex } from "../../util/user-regex.js";
import { logLevelSchema, logQuerySchema } from "../schemas.js";

/** A run's log records, filtered. */
export function logRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store } = ctx;

  app.get("/api/runs/:runId/logs", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const query = readQuery(c, logQuerySchema);
    let levels: LogLevel[] | undefined;
    if (query.level !== undefined) {
      levels = query.level.split(",").map((level) => {
        const parsed = logLevelSchema.safeParse(level.trim());
        if (!parsed.success) {
          throw new BadRequestError(
            `query.level: "${level}" is not a log level; use debug, info, warn, error or fatal (comma-separated).`,
          );
        }
        return parsed.data;
      });
    }
    if (query.regex !== undefined) compileUserRegex(query.regex); // INVALID_REGEX before any reading
    const logQuery: LogQuery = {
      ...(levels ? { levels } : {}),
      ...(query.regex !== undefined ? { regex: query.regex } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.until !== undefined ? { until: query.until } : {}),
      ...(query.tail !== undefined ? { tail: query.tail } : {}),
      ...(query.after !== undefined ? { afterSequence: query.after } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
    };
    return sendJson({ logs: await store.queryLogs(run.id, logQuery) });
  });
}
