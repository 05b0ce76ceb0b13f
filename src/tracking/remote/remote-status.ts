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
   * batches wait in the buffer), `refused` (the server refuses the run itself, e.g. a wrong token: batches
   * stay in the buffer for `labrun sync`), `closed`.
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
  /** Batches and files the server refused (4xx), kept in the buffer's `rejected/` folder. */
  readonly rejected: number;
  /** Failed attempts that will be retried. */
  readonly retries: number;
  /** Every error met (failed attempts, refusals, buffer writes). */
  readonly errors: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  /** Where unacknowledged batches are kept. */
  readonly bufferDir: string;
}
