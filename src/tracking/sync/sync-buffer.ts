import { createReadStream, existsSync } from "node:fs";
import type { HttpStore } from "../../store/http/http-store.js";
import { isRetryable } from "../../store/http/http-client.js";
import { listBuffered, rejectBuffered, removeBuffered } from "../remote/run-buffer.js";

export interface BufferSyncResult {
  readonly sent: number;
  readonly duplicates: number;
  readonly files: number;
  readonly rejected: number;
  /** Items left in the buffer (the server became unreachable). */
  readonly left: number;
}

/**
 * Sends the batches and uploads that remote-mode clients left in the buffer (a crash, a server that stayed
 * down), in each client's order, with their own `(clientId, seq)`: a batch the server already stored is
 * acknowledged as a duplicate and not stored twice. Acknowledged items are deleted; refused ones (4xx) move
 * to `rejected/`. Stops at the first network failure (what is left stays for the next sync).
 */
export async function syncBuffer(
  store: HttpStore,
  root: string,
  options: { readonly prefix?: string; readonly progress?: (line: string) => void } = {},
): Promise<BufferSyncResult> {
  const items = listBuffered(root, options.prefix);
  const runIds = new Map<string, string>();
  let sent = 0;
  let duplicates = 0;
  let files = 0;
  let rejected = 0;
  let done = 0;
  for (const { file, item } of items) {
    if (!existsSync(file)) {
      done++;
      continue;
    }
    try {
      let runId = runIds.get(item.prefix);
      if (runId === undefined) {
        runId = (await store.upsertRun(item.upsert)).id;
        runIds.set(item.prefix, runId);
      }
      if (item.kind === "batch") {
        const result = await store.client.json<{ duplicate?: boolean }>(
          "POST",
          `/api/runs/${encodeURIComponent(runId)}/batches`,
          { json: item.batch, timeoutMs: 60_000 },
        );
        sent++;
        if (result.duplicate) duplicates++;
      } else {
        if (!existsSync(item.source))
          throw Object.assign(new Error(`the bytes of ${item.filename} are gone (${item.source})`), {
            code: "TRACKED_FILE_NOT_FOUND",
          });
        await store.uploadFile(runId, createReadStream(item.source), {
          prefix: item.folder,
          filename: item.filename,
          sha256: item.sha256,
          contentType: item.contentType,
        });
        files++;
      }
      removeBuffered(file, item);
      done++;
    } catch (error) {
      if (isRetryable(error)) {
        options.progress?.(`buffer: stopped: ${(error as Error).message}`);
        return { sent, duplicates, files, rejected, left: items.length - done };
      }
      rejectBuffered(file, error);
      rejected++;
      done++;
      options.progress?.(
        `buffer: ${item.prefix}: the server refused ${item.kind} of client ${item.clientId}: ${(error as Error).message}`,
      );
    }
  }
  if (items.length > 0)
    options.progress?.(
      `buffer: ${sent} batch(es) sent (${duplicates} already there), ${files} file(s) uploaded, ${rejected} refused`,
    );
  return { sent, duplicates, files, rejected, left: 0 };
}
