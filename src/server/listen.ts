import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { errorTable, PortInUseError, ShuttingDownError } from "../errors.js";
import { answerClientErrors, maxHeaderBytes } from "../util/http-limits.js";
import type { ServerEnv } from "./auth.js";
import type { ServerContext } from "./context.js";

export interface ListenOptions {
  readonly port: number;
  readonly host: string;
  /** How long shutdown waits for in-flight requests before cutting connections (default 10 s). */
  readonly drainMs?: number;
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port` (the real port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, ends SSE streams, closes the store. Idempotent. */
  close(): Promise<void>;
}

/** Starts the Node HTTP server with graceful shutdown. */
export async function listen(
  app: Hono<ServerEnv>,
  context: ServerContext,
  options: ListenOptions,
): Promise<RunningServer> {
  let draining = false;
  let inFlight = 0;
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve(
      {
        fetch: async (request, env) => {
          if (draining) {
            const refusal = new ShuttingDownError();
            return new Response(
              JSON.stringify({
                error: { code: refusal.code, message: refusal.message, details: {} },
              }),
              {
                status: errorTable.SHUTTING_DOWN.status,
                headers: { "content-type": "application/json", connection: "close", "retry-after": "1" },
              },
            );
          }
          // A request is in flight until its response is fully sent (streamed downloads included).
          inFlight++;
          let done = false;
          const settle = () => {
            if (!done) ((done = true), inFlight--);
          };
          const outgoing = (env as { outgoing?: { once(event: "close", listener: () => void): void } })
            .outgoing;
          if (outgoing) outgoing.once("close", settle);
          try {
            return await app.fetch(request, env);
          } catch (error) {
            settle();
            throw error;
          } finally {
            if (!outgoing) settle();
          }
        },
        port: options.port,
        hostname: options.host,
        serverOptions: { maxHeaderSize: maxHeaderBytes },
      },
      () => resolve(created as Server),
    ) as Server;
    created.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(options.host, options.port) : error),
    );
  });
  answerClientErrors(server);
  // Long uploads must not be cut by Node's default 5-minute request timeout.
  server.requestTimeout = 0;
  // Node closes idle keep-alive sockets after 5 s; a client that reuses one just then gets a reset
  // ("other side closed"). SDKs send a batch every few seconds: keep sockets longer (as load balancers do).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      context.events.closeAll();
      server.closeIdleConnections();
      const deadline = Date.now() + (options.drainMs ?? 10_000);
      // Responses in flight finish; then the remaining (keep-alive) sockets carry nothing and are closed.
      while (Date.now() < deadline && inFlight > 0) {
        server.closeIdleConnections();
        const done = await Promise.race([
          closed.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), 20)),
        ]);
        if (done) break;
      }
      server.closeAllConnections();
      await closed;
      await context.events.close();
      await context.store.close();
    })());
  return { url: `http://${host}:${address.port}`, port: address.port, close };
}
