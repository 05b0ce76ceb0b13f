import type { JsonValue } from "../format/json-codec.js";
import type { Store, StoredRun } from "../store/store.js";

/**
 * Sets one key of a run's metadata, the rest kept, in one store write: a status or another key written at the
 * same moment (through another request or another replica) is never undone, and a finished run stays finished.
 */
export async function setRunMetadata(
  store: Store,
  stored: StoredRun,
  key: string,
  value: unknown,
  description?: string,
): Promise<StoredRun> {
  return store.updateRun(stored.id, {
    metadata: { [key]: value as JsonValue },
    ...(description !== undefined ? { description } : {}),
  });
}
