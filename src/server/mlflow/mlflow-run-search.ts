import type { Context } from "hono";
import type { z } from "zod";
import type { ServerEnv } from "../auth.js";
import type { ServerContext } from "../context.js";
import { invalidParameter } from "./mlflow-errors.js";
import { mlflowMetadata, type ExperimentCatalog } from "./mlflow-experiments.js";
import { runJson, type RunRecord } from "./mlflow-runs.js";
import { projectRunJson } from "./mlflow-project-runs.js";
import { mlflowLimits, runSearchSchema } from "./mlflow-schemas.js";
import { matches, pageOf, sortByOrders, type FilterClause } from "./mlflow-search.js";
import { parseFilter } from "./mlflow-search.js";

type RunJson = {
  info: Record<string, string | number | undefined>;
  data: {
    metrics: { key: string; value: unknown }[];
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
  };
};

function valueOf(run: RunJson, entity: FilterClause["entity"], key: string): string | number | undefined {
  switch (entity) {
    case "attribute": {
      const name = key === "run_name" || key === "name" ? "run_name" : key === "run_id" ? "run_id" : key;
      return run.info[name];
    }
    case "param":
      return run.data.params.find((param) => param.key === key)?.value;
    case "tag":
      return run.data.tags.find((tag) => tag.key === key)?.value;
    case "metric": {
      const value = run.data.metrics.find((metric) => metric.key === key)?.value;
      return typeof value === "number" ? value : undefined;
    }
  }
}

/** MLflow's runs/search over the runs of the given experiments (filter, order_by, paging in the server). */
export async function searchMlflowRuns(
  c: Context<ServerEnv>,
  ctx: ServerContext,
  catalog: ExperimentCatalog,
  input: <T>(c: Context<ServerEnv>, schema: z.ZodType<T>, ctx: ServerContext) => Promise<T>,
): Promise<Record<string, unknown>> {
  const body = await input(c, runSearchSchema, ctx);
  const max = body.max_results ?? 1000;
  if (max < 1 || max > mlflowLimits.maxResults) {
    throw invalidParameter(
      `Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${mlflowLimits.maxResults}.`,
    );
  }
  const clauses = parseFilter(body.filter);
  const experiments = await Promise.all(
    (body.experiment_ids ?? []).map((id) => catalog.find(id, c.get("principal"))),
  );
  const view = body.run_view_type ?? "ACTIVE_ONLY";
  if (!["ACTIVE_ONLY", "DELETED_ONLY", "ALL"].includes(view))
    throw invalidParameter(`Invalid run_view_type '${view}': use ACTIVE_ONLY, DELETED_ONLY or ALL.`);
  const found: RunJson[] = [];
  {
    for (const experiment of experiments) {
      let cursor: string | undefined;
      const ofProject = !("run" in experiment);
      if (ofProject && view === "DELETED_ONLY") continue;
      do {
        const page = await ctx.store.searchRuns({
          prefix: ofProject ? experiment.prefix : experiment.run.prefix,
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        for (const run of page.runs) {
          const meta = mlflowMetadata(run);
          let json: RunJson;
          if (ofProject) {
            // The store leaves labrun's deleted runs out: a project experiment has active runs only.
            if (meta !== undefined) continue;
            json = (await projectRunJson(ctx.store, { run })) as unknown as RunJson;
          } else {
            if (meta?.kind !== "run") continue;
            const deleted = (meta as unknown as RunRecord).deletedTime !== undefined;
            if (view !== "ALL" && deleted !== (view === "DELETED_ONLY")) continue;
            json = (await runJson(ctx.store, {
              run,
              record: meta as unknown as RunRecord,
            })) as unknown as RunJson;
          }
          if (clauses.every((clause) => matches(valueOf(json, clause.entity, clause.key), clause)))
            found.push(json);
        }
        cursor = page.nextCursor;
      } while (cursor);
    }
  }
  const orders = (body.order_by ?? []).map((text) => {
    const match = /^\s*(?:([A-Za-z]+)\.)?`?([^`]+?)`?\s*(ASC|DESC)?\s*$/i.exec(text);
    if (!match) throw invalidParameter(`Invalid order_by clause '${text}'.`);
    const entity = parseFilter(`${match[1] ? `${match[1]}.` : ""}\`${match[2]}\` = 0`)[0]!.entity;
    return { entity, key: match[2]!, desc: (match[3] ?? "ASC").toUpperCase() === "DESC" };
  });
  if (orders.length === 0) orders.push({ entity: "attribute", key: "start_time", desc: true });
  sortByOrders(found, orders, (run, order) => valueOf(run, order.entity, order.key));
  const { page, ...next } = pageOf(found, body.page_token, max);
  return { runs: page, ...next };
}
