import type { BatchResult, RunBatch, Store } from "../store/store.js";
import type { EventBus } from "./events.js";

/**
 * Publishes what a stored batch changed (its metrics, logs, and the run when its status, description or tags
 * changed) to the run's live subscribers, with where the records went so that other servers can read them back.
 */
export async function publishBatch(
  ctx: { readonly store: Store; readonly events: EventBus },
  runId: string,
  batch: Omit<RunBatch, "clientId" | "seq">,
  result: BatchResult,
): Promise<void> {
  const { store, events } = ctx;
  if (result.duplicate || !events.hasListeners(runId)) return;
  // A stream may come twice in one batch: its second part starts where the first ended.
  const next = new Map<string, number>();
  for (const append of batch.metrics ?? []) {
    if (append.points.length === 0) continue;
    const first = next.get(append.stream) ?? result.positions?.metrics[append.stream];
    events.publish(runId, { type: "metrics", data: append }, first === undefined ? undefined : { first });
    if (first !== undefined) next.set(append.stream, first + append.points.length);
  }
  if (batch.logs && batch.logs.length > 0) {
    const first = result.positions?.logs;
    events.publish(
      runId,
      { type: "logs", data: { logs: batch.logs } },
      first === undefined ? undefined : { first },
    );
  }
  if (batch.status || batch.description !== undefined || batch.tags) {
    const run = await store.getRun(runId);
    if (run) events.publish(runId, { type: "status", data: { run } });
  }
}
