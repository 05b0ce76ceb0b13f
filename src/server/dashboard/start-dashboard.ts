import { serve } from "@hono/node-server";
import type { ServerType } from "@hono/node-server";
import { DashboardNotBuiltError, PortInUseError } from "../../errors.js";
import { dashboardApp } from "./dashboard-app.js";
import type { DashboardSource } from "./dashboard-source.js";
import type { Server } from "node:http";
import { answerClientErrors, maxHeaderBytes } from "../../util/http-limits.js";
import { requestPolicy } from "../../util/request-policy.js";
import { assetsBuilt, defaultAssetsDir } from "./static-assets.js";

export interface StartDashboardOptions {
  readonly port?: number;
  readonly host?: string;
  readonly assetsDir?: string;
  readonly pollMs?: number;
  /** Host names to answer to besides localhost, 127.0.0.1, [::1] and `host` (`*`: any). */
  readonly allowedHosts?: readonly string[];
}

export interface DashboardServer {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the dashboard over a source until `close()` (what `labrun ui` does). Port 0 picks a free port.
 *
 * @example
 * const server = await startDashboard(new WorkspaceSource(), { port: 4500 });
 * console.log(server.url);
 */
export async function startDashboard(
  source: DashboardSource,
  options: StartDashboardOptions = {},
): Promise<DashboardServer> {
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  if (!assetsBuilt(assetsDir)) throw new DashboardNotBuiltError(assetsDir);
  const host = options.host ?? "127.0.0.1";
  const app = dashboardApp(source, {
    assetsDir,
    requestPolicy: requestPolicy(host, options.allowedHosts),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  });
  const port = options.port ?? 4500;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, port, hostname: host, serverOptions: { maxHeaderSize: maxHeaderBytes } },
      () => resolve(s),
    );
    answerClientErrors(s as Server);
    s.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(host, port) : error),
    );
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        // Live views (SSE) keep connections open: close them rather than wait.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }).then(() => source.close()),
  };
}
