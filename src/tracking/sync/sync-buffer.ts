import { createReadStream, existsSync } from "node:fs";
import type { HttpStore } from "../../store/http/http-store.js";
import { isAuthRefusal, isRetryable } from "../../store/http/http-client.js";
import { listBuffered, rejectBuffered, removeBuffered, restoreAuthRejected } from "../remote/run-buffer.js";

export interface BufferSyncResult {
  readonly sent: number;
  readonly duplicates: number;
  readonly files: number;
  readonly rejected: number;
  /** Items left in the buffer (the server became unreachable, or refused the token). */
  readonly left: number;
  /** The server refused the token (401/403): its answer. What is left stays for a sync with a valid token. */
  readonly unauthorized?: string;
}

/**
 * Sends the batches and uploads that remote-mode clients left in the buffer (a crash, a server that stayed
 * down), in each client's order, with their own `(clientId, seq)`: a batch the server already stored is
 * acknowledged as a duplicate and not stored twice. Acknowledged items are deleted; items the server refuses
 * as invalid (4xx) move to `rejected/`. Stops at the first network failure or refused token (401/403): what
 * is left stays for the next sync. Items an older labrun moved to `rejected/` for a refused token are sent
 * again.
 */
export async function syncBuffer(
  store: HttpStore,
  root: string,
  options: { readonly prefix?: string; readonly progress?: (line: string) => void } = {},
): Promise<BufferSyncResult> {
  restoreAuthRejected(root, options.prefix);
  const items = listBuffered(root, options.prefix);
  const runIds = new Map<string, string>();
  let sent = 0;
  let duplicates = 0;
  let files = 0;
  let rejected = 0;
  let done = 0;
  let unauthorized: string | undefined;
  let kept = 0;
  // Runs whose project the token may not write (403): their items stay, the other runs go on.
  const forbidden = new Set<string>();
  for (const { file, item } of items) {
    if (!existsSync(file)) {
      done++;
      continue;
    }
    if (forbidden.has(item.prefix)) {
      kept++;
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
      if (isAuthRefusal(error)) {
        const code = (error as { code?: string }).code ?? "UNAUTHORIZED";
        unauthorized = `${code}: ${(error as Error).message}`;
        if ((error as { details?: { status?: number } }).details?.status === 401) {
          options.progress?.(`buffer: the server refused the token (${unauthorized}); nothing more is sent`);
          return { sent, duplicates, files, rejected, left: items.length - done, unauthorized };
        }
        forbidden.add(item.prefix);
        kept++;
        options.progress?.(
          `buffer: ${item.prefix}: the token may not write this run (${unauthorized}); kept`,
        );
        continue;
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
  return { sent, duplicates, files, rejected, left: kept, ...(unauthorized ? { unauthorized } : {}) };
}
