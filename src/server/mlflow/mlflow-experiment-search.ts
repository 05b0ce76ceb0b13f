import { invalidParameter } from "./mlflow-errors.js";
import type { ExperimentView } from "./mlflow-experiments.js";
import { matches, parseFilter, sortByOrders } from "./mlflow-search.js";

const attributes: Readonly<Record<string, (e: ExperimentView) => string | number>> = {
  name: (e) => e.record.name,
  experiment_id: (e) => e.id,
  creation_time: (e) => e.record.creationTime,
  last_update_time: (e) => e.record.lastUpdateTime,
  lifecycle_stage: (e) => e.record.lifecycleStage,
};

function attribute(key: string): (e: ExperimentView) => string | number {
  const read = attributes[key];
  if (!read) {
    throw invalidParameter(
      `Invalid attribute key '${key}' for experiments: labrun supports ${Object.keys(attributes).join(", ")} and tags.<key>.`,
    );
  }
  return read;
}

/**
 * MLflow's experiments/search in memory: `view_type` (ACTIVE_ONLY by default), `filter` on attributes and
 * tags, and `order_by` (`name`, `experiment_id`, `creation_time`, `last_update_time`, each ASC or DESC;
 * without one, Default first, then the store's order).
 */
export function searchExperiments(
  experiments: readonly ExperimentView[],
  body: {
    filter?: string | undefined;
    order_by?: string | string[] | undefined;
    view_type?: string | undefined;
  },
): ExperimentView[] {
  const view = body.view_type ?? "ACTIVE_ONLY";
  if (!["ACTIVE_ONLY", "DELETED_ONLY", "ALL"].includes(view))
    throw invalidParameter(`Invalid view_type '${view}': use ACTIVE_ONLY, DELETED_ONLY or ALL.`);
  const clauses = parseFilter(body.filter);
  const readers = clauses.map((clause) =>
    clause.entity === "tag"
      ? (e: ExperimentView) => e.record.tags[clause.key]
      : clause.entity === "attribute"
        ? attribute(clause.key)
        : (() => {
            throw invalidParameter(`Experiments have no ${clause.entity}s: filter on attributes or tags.`);
          })(),
  );
  const found = experiments.filter(
    (e) =>
      (view === "ALL" || (e.record.lifecycleStage === "deleted") === (view === "DELETED_ONLY")) &&
      clauses.every((clause, i) => matches(readers[i]!(e), clause)),
  );
  const orders = (typeof body.order_by === "string" ? [body.order_by] : (body.order_by ?? [])).map((text) => {
    const match = /^(?:attributes?\.)?`?(\w+)`?(?: +(ASC|DESC))?$/i.exec(text.trim());
    if (!match) throw invalidParameter(`Invalid order_by clause '${text}': use e.g. 'name ASC'.`);
    return { read: attribute(match[1]!), desc: (match[2] ?? "ASC").toUpperCase() === "DESC" };
  });
  if (orders.length === 0) return found;
  return sortByOrders(found, orders, (experiment, order) => order.read(experiment));
}
