import type { JsonValue } from "../format/json-codec.js";
import type { Store, StoredRun } from "../store/store.js";

/**
 * Sets one key of a run's metadata (the rest kept). The store changes metadata only by upserting the prefix,
 * which resumes a finished run: a finished run gets its final status (and end time) back, so recording
 * something about a run never reopens it.
 */
export async function setRunMetadata(
  store: Store,
  stored: StoredRun,
  key: string,
  value: unknown,
  description?: string,
): Promise<StoredRun> {
  const before = (await store.getRun(stored.id)) ?? stored;
  let run = await store.upsertRun({
    prefix: before.prefix,
    metadata: { ...before.metadata, [key]: value as JsonValue },
    ...(description !== undefined ? { description } : {}),
  });
  if (before.status !== "RUNNING" && run.status !== before.status) {
    run = await store.updateRun(run.id, {
      status: {
        status: before.status,
        ...(before.error !== undefined ? { error: before.error } : {}),
        ...(before.endedAt !== undefined ? { at: before.endedAt } : {}),
      },
    });
  }
  return run;
}
