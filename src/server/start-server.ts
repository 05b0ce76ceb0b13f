import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { ServerStore } from "../store/store.js";
import { Workspace } from "../workspace/workspace.js";
import { createServer } from "./create-server.js";
import { mountDashboard } from "./dashboard/dashboard-app.js";
import { StoreSource } from "./dashboard/store-source.js";
import { openFileStorage, type FileStorageOptions } from "./files/open-file-storage.js";
import { isS3Uri } from "./files/s3-location.js";
import type { RunningServer } from "./listen.js";
import { openServerDatabase } from "./open-database.js";
import type { ServerLimits } from "./options.js";
import type { FileStorage } from "./files/file-storage.js";
import { requestPolicy } from "../util/request-policy.js";

export interface StartServerOptions {
  readonly port: number;
  readonly host: string;
  /** `sqlite:PATH` or `postgres://…` (default: `sqlite:<workspace>/server/labrun.db`). */
  readonly db?: string;
  /** Folder of uploaded files, or `s3://bucket/prefix` (default: `<workspace>/server/files`). */
  readonly files?: string;
  /** How to reach the object store of an `s3://` `files`, and whether downloads are presigned. */
  readonly fileStorage?: FileStorageOptions;
  /** False only on a loopback address. */
  readonly auth: boolean;
  readonly workspace?: string;
  readonly limits?: Partial<ServerLimits>;
  readonly version?: string;
  /**
   * Host names to answer to besides loopback names and `host` (`*`: any). Without it, a server with auth
   * answers any Host (tokens are not sent by browsers on their own); one without auth only its own names.
   */
  readonly allowedHosts?: readonly string[];
}

export interface StartedServer extends RunningServer {
  readonly db: string;
  /** The files folder, or `s3://bucket/prefix` (with its endpoint). */
  readonly filesDir: string;
  readonly store: ServerStore;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The database URI `labrun serve` and `labrun token` use when --db is not given. */
export function defaultDbUri(workspace?: string): string {
  return `sqlite:${join(new Workspace(workspace).root, "server", "labrun.db")}`;
}

/** Opens the database and the file folder and starts listening (what `labrun serve` does). */
export async function startServer(options: StartServerOptions): Promise<StartedServer> {
  if (!options.auth && !isLoopback(options.host)) {
    throw new UsageError(
      `--no-auth is refused on ${options.host}: anyone who can reach that address could read and change every run. ` +
        "Bind to 127.0.0.1 (the default) or keep authentication on and hand out tokens (`labrun token create`).",
    );
  }
  const db = options.db ?? defaultDbUri(options.workspace);
  const filesAt = options.files ?? join(new Workspace(options.workspace).root, "server", "files");
  const store = await openServerDatabase(db);
  let files: FileStorage | undefined;
  try {
    const opened = await openFileStorage(isS3Uri(filesAt) ? filesAt : resolve(filesAt), options.fileStorage);
    files = opened.storage;
    const filesDir = opened.where;
    await files.sweep?.();
    const server = createServer({
      store,
      authStore: store,
      files,
      // The web dashboard over the same store, beside the API (its /api/dashboard routes are behind auth).
      extend: (app) =>
        mountDashboard(app, new StoreSource(store, { files, label: db.replace(/\/\/[^@/]*@/, "//") })),
      auth: options.auth,
      requestPolicy: requestPolicy(options.host, options.allowedHosts ?? (options.auth ? ["*"] : [])),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.version ? { version: options.version } : {}),
    });
    const running = await server.listen({ port: options.port, host: options.host });
    const storage = files;
    const close = async () => {
      await running.close();
      await storage.close?.();
    };
    return { ...running, close, db, filesDir, store };
  } catch (error) {
    await files?.close?.();
    await store.close();
    throw error;
  }
}
