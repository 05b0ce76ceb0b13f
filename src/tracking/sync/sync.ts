import { join, resolve } from "node:path";
import { homedir } from "node:os";
import { UsageError } from "../../errors.js";
import { HttpStore } from "../../store/http/http-store.js";
import { listRuns } from "../list-runs.js";
import { defaultRunsRoot } from "../../format/names.js";
import { listBuffered } from "../remote/run-buffer.js";
import { syncBuffer, type BufferSyncResult } from "./sync-buffer.js";
import { syncLocalRun, type LocalSyncResult } from "./sync-local.js";

export interface SyncOptions {
  /** Server URL; default `$LABRUN_URL`. Buffered batches without it go to the URL they were meant for. */
  readonly url?: string;
  /** Bearer token; default `$LABRUN_TOKEN`. */
  readonly token?: string;
  /** Only runs at or under this prefix. */
  readonly prefix?: string;
  /** Workspace (default `$LABRUN_HOME` or `~/.labrun`): its `runs/`, `jobs/` and `buffer/`. */
  readonly workspace?: string;
  /** Folder of local runs instead of `<workspace>/runs` (`$LABRUN_RUNS`). */
  readonly root?: string;
  /** Upload local-mode runs (default true). */
  readonly runs?: boolean;
  /** Send what remote-mode clients left in the buffer (default true). */
  readonly buffer?: boolean;
  readonly progress?: (line: string) => void;
}

export interface SyncResult {
  readonly url: string | undefined;
  readonly runs: readonly LocalSyncResult[];
  readonly buffer: BufferSyncResult;
  /** Runs that could not be synced, with the reason. */
  readonly failed: readonly { readonly prefix: string; readonly error: string }[];
}

/**
 * `labrun sync`: uploads the workspace's local-mode runs to a labrun server and sends the batches remote
 * clients left in the buffer. Idempotent: running it again stores nothing twice.
 */
export async function sync(options: SyncOptions = {}): Promise<SyncResult> {
  const workspace = resolve(options.workspace ?? (process.env.LABRUN_HOME || join(homedir(), ".labrun")));
  const url = options.url ?? (process.env.LABRUN_URL || undefined);
  const token = options.token ?? (process.env.LABRUN_TOKEN || undefined);
  const progress = options.progress ?? (() => undefined);
  const open = (target: string) => new HttpStore({ url: target, ...(token ? { token } : {}) });
  const bufferRoot = join(workspace, "buffer");
  let buffer: BufferSyncResult = { sent: 0, duplicates: 0, files: 0, rejected: 0, left: 0 };
  if (options.buffer !== false) {
    const targets = url
      ? [url]
      : [...new Set(listBuffered(bufferRoot, options.prefix).map(({ item }) => item.url))];
    for (const target of targets) {
      const result = await syncBuffer(open(target), bufferRoot, {
        ...(options.prefix ? { prefix: options.prefix } : {}),
        progress,
      });
      buffer = {
        sent: buffer.sent + result.sent,
        duplicates: buffer.duplicates + result.duplicates,
        files: buffer.files + result.files,
        rejected: buffer.rejected + result.rejected,
        left: buffer.left + result.left,
        ...((result.unauthorized ?? buffer.unauthorized)
          ? { unauthorized: (result.unauthorized ?? buffer.unauthorized)! }
          : {}),
      };
    }
  }
  const runs: LocalSyncResult[] = [];
  const failed: { prefix: string; error: string }[] = [];
  if (options.runs !== false) {
    if (!url)
      throw new UsageError("labrun sync needs the server: pass --url http://host:4400 or set LABRUN_URL.");
    const store = open(url);
    await store.health().catch(async () => {
      await store.searchRuns({ limit: 1 }); // throws the real problem (unreachable, unauthorized)
    });
    const roots = options.root
      ? [resolve(options.root)]
      : [
          process.env.LABRUN_RUNS && !options.workspace ? defaultRunsRoot() : join(workspace, "runs"),
          join(workspace, "jobs"),
        ];
    for (const root of roots) {
      for (const info of listRuns({ root, ...(options.prefix ? { prefix: options.prefix } : {}) }).runs) {
        try {
          const result = await syncLocalRun(store, info);
          runs.push(result);
          progress(describe(result));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failed.push({ prefix: info.prefix, error: message });
          progress(`${info.prefix}: failed: ${message}`);
          if ((error as { code?: string }).code === "SERVER_UNREACHABLE") break;
        }
      }
    }
  }
  return { url, runs, buffer, failed };
}

function describe(result: LocalSyncResult): string {
  const parts = [
    result.points && `${result.points} point(s)`,
    result.logs && `${result.logs} log record(s)`,
    result.files && `${result.files} file(s)`,
    result.status && `status ${result.status}`,
  ].filter(Boolean);
  return `${result.prefix}: ${result.created ? "created, " : ""}${parts.length ? parts.join(", ") : "up to date"}`;
}
