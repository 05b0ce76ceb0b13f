import { readFileSync } from "node:fs";
import { join } from "node:path";

/** What `run.remoteStatus()` reports: how the run's data is getting to the server. */
export interface RemoteStatus {
  readonly url: string;
  readonly prefix: string;
  /** The server's id of the run, once the server answered. */
  readonly runId?: string;
  /** This Run object's client id (batches are `(clientId, seq)`). */
  readonly clientId: string;
  /**
   * `connecting` (nothing acknowledged yet), `online`, `retrying` (the server is unreachable or failing:
   * batches wait in the buffer), `refused` (the server refuses the run itself or the token, e.g. a wrong or
   * expired token (401/403): nothing more is sent this session, every batch stays in the buffer for
   * `labrun sync`), `closed`.
   */
  readonly state: "connecting" | "online" | "retrying" | "refused" | "closed";
  /** Batches the server acknowledged (duplicates included). */
  readonly acknowledgedBatches: number;
  /** Of those, batches the server already had (a retry after a lost answer). */
  readonly duplicateBatches: number;
  /** Files uploaded. */
  readonly uploadedFiles: number;
  /** Batches and files not acknowledged yet (in memory and in the buffer). */
  readonly pending: number;
  /**
   * Batches and files the server refused as invalid (4xx other than 401/403), kept in the buffer's
   * `rejected/` folder. (Refused credentials never reject a batch: see `state: "refused"`.)
   */
  readonly rejected: number;
  /** Failed attempts that will be retried. */
  readonly retries: number;
  /** Every error met (failed attempts, refusals, buffer writes). */
  readonly errors: number;
  /**
   * Batches and uploads dropped: the buffer could not be written (a full disk) while the server did not take
   * them, past `remote.maxMemoryBytes` held in memory, or still unwritten when the run ended. A run that lost
   * batches does not end COMPLETED on the server (FAILED, with the count in its reason).
   */
  readonly lost?: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  /** Where unacknowledged batches are kept. */
  readonly bufferDir: string;
}

/** The file in a run's buffer folder holding the last remote session's status (what `labrun runs show` prints). */
export const remoteStatusFile = "remote-status.json";

/** The last saved remote status of the run with this prefix, if a remote-mode session left one. */
export function readRemoteStatus(
  bufferRoot: string,
  prefix: string,
): (RemoteStatus & { savedAt?: string }) | undefined {
  try {
    const text = readFileSync(join(bufferRoot, ...prefix.split("/"), remoteStatusFile), "utf8");
    const value = JSON.parse(text) as RemoteStatus;
    return typeof value === "object" && value !== null && typeof value.state === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** One line for people: `remote http://…: online, 12 batch(es) acknowledged, 0 pending, …`. */
export function describeRemoteStatus(status: RemoteStatus): string {
  const parts = [
    `${status.acknowledgedBatches} batch(es) acknowledged`,
    `${status.pending} pending`,
    ...(status.rejected ? [`${status.rejected} refused`] : []),
    ...(status.lost ? [`${status.lost} lost`] : []),
    ...(status.uploadedFiles ? [`${status.uploadedFiles} file(s) uploaded`] : []),
    ...(status.errors
      ? [
          `${status.errors} error(s), last: ${status.lastError?.code ?? "?"} ${status.lastError?.message ?? ""}`.trim(),
        ]
      : []),
  ];
  const refusedToken =
    status.state === "refused" ||
    status.lastError?.code === "UNAUTHORIZED" ||
    status.lastError?.code === "FORBIDDEN";
  const hint = refusedToken
    ? ` (buffer ${status.bufferDir}; the server refused the token: \`labrun sync --token <valid token>\` sends it)`
    : ` (buffer ${status.bufferDir}; \`labrun sync\` sends it)`;
  return `remote ${status.url}: ${status.state}, ${parts.join(", ")}${status.pending ? hint : ""}`;
}
