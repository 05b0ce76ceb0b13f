import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/index.js";
import { inProcessServer, pointsBatch, serverBackends, type InProcessServer } from "./helpers.js";

interface SseEvent {
  event: string;
  data: any;
}

/** Reads Server-Sent Events from a real socket until `count` events arrived. */
async function collect(
  response: Response,
  count: number,
  timeoutMs = 10_000,
): Promise<{ events: SseEvent[]; raw: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let raw = "";
  const events: SseEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < count && Date.now() < deadline) {
    const { done, value } = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((resolve) =>
        setTimeout(() => resolve({ done: true, value: undefined }), Math.max(0, deadline - Date.now())),
      ),
    ]);
    if (done) break;
    raw += decoder.decode(value, { stream: true });
    events.length = 0;
    for (const block of raw.split("\n\n").slice(0, -1)) {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      if (event) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel().catch(() => {});
  return { events, raw };
}

describe.each(serverBackends())("live updates (SSE) of a run on %s", (backend) => {
  let s: InProcessServer;
  let running: RunningServer;
  let runId: string;
  beforeEach(async () => {
    s = await inProcessServer({ backend, limits: { ssePingSeconds: 0.2 } });
    running = await s.server.listen({ port: 0, host: "127.0.0.1" });
    runId = (await s.json("POST", "/api/runs", { prefix: "alice/vision/live" })).body.run.id;
  });
  afterEach(async () => {
    await running.close();
    await s.close();
  });

  it("streams the run's status, then new metrics, logs and status changes, with pings", async () => {
    const response = await fetch(`${running.url}/api/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${s.tokens.visionRead}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const collecting = collect(response, 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await s.json("POST", `/api/runs/${runId}/batches`, {
      ...pointsBatch("c", 1, 0, 3),
      logs: [{ level: "info", message: "epoch 1", timestamp: "2026-01-01T00:00:00Z" }],
    });
    // A duplicate batch is not streamed again.
    await s.json("POST", `/api/runs/${runId}/batches`, pointsBatch("c", 1, 0, 3));
    await s.json("PATCH", `/api/runs/${runId}`, { status: { status: "COMPLETED" } });
    const { events, raw } = await collecting;
    expect(events.map((e) => e.event)).toEqual(["status", "metrics", "logs", "status"]);
    expect(events[0]!.data.run.status).toBe("RUNNING");
    expect(events[1]!.data).toMatchObject({ stream: "train" });
    expect(events[1]!.data.points.map((p: any) => p.fields.step)).toEqual([0, 1, 2]);
    expect(events[2]!.data.logs).toMatchObject([{ message: "epoch 1" }]);
    expect(events[3]!.data.run.status).toBe("COMPLETED");
    expect(raw).toContain(": ping");
  });

  it("accepts the token as ?token= (EventSource cannot send headers) and checks its project", async () => {
    const ok = await fetch(`${running.url}/api/runs/${runId}/events?token=${s.tokens.vision}`);
    expect(ok.status).toBe(200);
    const { events } = await collect(ok, 1);
    expect(events[0]!.event).toBe("status");
    const refused = await fetch(`${running.url}/api/runs/${runId}/events?token=${s.tokens.other}`);
    expect(refused.status).toBe(403);
  });

  it("ends open streams when the server shuts down", async () => {
    const response = await fetch(`${running.url}/api/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${s.tokens.vision}` },
    });
    const reader = response.body!.getReader();
    await reader.read();
    await running.close();
    // The stream ends (the loop would otherwise run into the test's timeout).
    let ended = false;
    while (!ended) ended = (await reader.read().catch(() => ({ done: true }))).done;
    expect(ended).toBe(true);
  });
});
