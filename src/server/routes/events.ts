import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServerEnv } from "../auth.js";
import { stringifyWire } from "../../format/wire-json.js";
import { loadRun, type ServerContext } from "../context.js";
import type { RunEvent } from "../events.js";

/** Events a slow subscriber may fall behind by before its stream is closed (it reconnects and re-reads). */
const maxBacklog = 10_000;

/** Live updates of one run as Server-Sent Events: `status` first, then `metrics`, `logs`, `status`. */
export function eventRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store, events, limits } = ctx;

  app.get("/api/runs/:runId/events", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    return streamSSE(c, async (stream) => {
      let backlog = 0;
      let chain: Promise<void> = Promise.resolve();
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const send = (event: RunEvent) => {
        if (stream.closed || stream.aborted) return;
        if (++backlog > maxBacklog) return finish();
        chain = chain
          .then(() => stream.writeSSE({ event: event.type, data: stringifyWire(event.data) }))
          .catch(() => finish())
          .finally(() => backlog--);
      };
      const unsubscribe = events.subscribe(run.id, send, () => finish());
      stream.onAbort(() => finish());
      send({ type: "status", data: { run } });
      const ping = setInterval(() => {
        chain = chain
          .then(() => stream.write(": ping\n\n"))
          .then(
            () => undefined,
            () => finish(),
          );
      }, limits.ssePingSeconds * 1000);
      try {
        await finished;
      } finally {
        clearInterval(ping);
        unsubscribe();
        await chain.catch(() => undefined);
      }
    });
  });
}
