import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inProcessServer, pointsBatch, type InProcessServer } from "./helpers.js";

describe("bad input: a clear 4xx with a stable code, nothing written", () => {
  let s: InProcessServer;
  let runId: string;
  beforeEach(async () => {
    s = await inProcessServer({ limits: { jsonBodyBytes: 64 * 1024, fileBytes: 100_000 } });
    runId = (await s.json("POST", "/api/runs", { prefix: "alice/vision/run" })).body.run.id;
  });
  afterEach(async () => {
    await s.close();
  });

  const expectNothingStored = async () => {
    expect((await s.json("GET", `/api/runs/${runId}/metrics`)).body.streams).toEqual([]);
    expect((await s.json("GET", `/api/runs/${runId}/params`)).body.params).toEqual({});
    expect((await s.json("GET", `/api/runs/${runId}/logs`)).body.logs).toEqual([]);
  };

  const post = (body: unknown) => s.json("POST", `/api/runs/${runId}/batches`, body);

  it.each([
    ["malformed JSON", '{"clientId": "c", ', "BAD_REQUEST"],
    [
      "a bare NaN token",
      '{"clientId":"c","seq":1,"metrics":[{"stream":"t","points":[{"fields":{"x":NaN},"ts":1}]}]}',
      "BAD_REQUEST",
    ],
    ["an unknown field", { clientId: "c", seq: 1, extra: true }, "BAD_REQUEST"],
    ["a wrong type", { clientId: "c", seq: "1" }, "BAD_REQUEST"],
    ["a fractional seq", { clientId: "c", seq: 1.5 }, "BAD_REQUEST"],
    [
      "an unknown field inside a point",
      { clientId: "c", seq: 1, metrics: [{ stream: "t", points: [{ fields: { x: 1 }, ts: 1, y: 2 }] }] },
      "BAD_REQUEST",
    ],
    [
      "a string as a point's time",
      { clientId: "c", seq: 1, metrics: [{ stream: "t", points: [{ fields: { x: 1 }, ts: "now" }] }] },
      "BAD_REQUEST",
    ],
    [
      "a stream name with a slash",
      { clientId: "c", seq: 1, metrics: [{ stream: "../etc", points: [{ fields: { x: 1 }, ts: 1 }] }] },
      "INVALID_TRACKING_NAME",
    ],
    [
      "a bad log level",
      { clientId: "c", seq: 1, logs: [{ level: "loud", message: "m", timestamp: "2026-01-01T00:00:00Z" }] },
      "BAD_REQUEST",
    ],
    [
      "a bad timestamp",
      { clientId: "c", seq: 1, logs: [{ level: "info", message: "m", timestamp: "yesterday" }] },
      "BAD_REQUEST",
    ],
  ])("refuses %s", async (_what, body, code) => {
    const valid = {
      clientId: "c",
      seq: 1,
      params: { lr: 1 },
      logs: [{ level: "info", message: "m", timestamp: "2026-01-01T00:00:00Z" }],
    };
    // A batch that mixes valid parts with one bad part is refused whole.
    const mixed = typeof body === "string" ? body : { ...valid, ...(body as object) };
    const response = await post(mixed);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message.length).toBeGreaterThan(20);
    await expectNothingStored();
  });

  it("refuses nesting deeper than the limit (400, not a crash)", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const response = await post({ clientId: "c", seq: 1, params: { deep } });
    expect(response.status).toBe(400);
    expect(response.body.error.details.problem).toBe("too-deep");
    const deepField = {
      clientId: "c",
      seq: 1,
      metrics: [{ stream: "t", points: [{ fields: { hist: deep }, ts: 1 }] }],
    };
    const response3 = await post(deepField);
    expect(response3.status).toBe(400);
    expect(response3.body.error.details.problem).toBe("too-deep");
    const hostile = "[".repeat(30_000) + "]".repeat(30_000);
    const response2 = await post(hostile);
    expect(response2.status).toBe(400);
    await expectNothingStored();
  });

  it("refuses a body over the limit with 413 PAYLOAD_TOO_LARGE", async () => {
    const response = await post(pointsBatch("c", 1, 0, 5000));
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    await expectNothingStored();
  });

  it("refuses an upload over the file limit with 413 and leaves no partial file", async () => {
    const response = await s.request(
      "PUT",
      `/api/runs/${runId}/files?filename=big.bin`,
      new Uint8Array(150_000),
    );
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await s.json("GET", `/api/runs/${runId}/files`)).body.files).toEqual([]);
    expect(readdirSync(join(s.dir, "files", "tmp"))).toEqual([]);
  });

  it("answers 413 over a real socket, also to a streamed (chunked) upload that goes on sending", async () => {
    const running = await s.server.listen({ port: 0, host: "127.0.0.1" });
    try {
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(100_000));
          controller.close();
        },
      });
      const upload = await fetch(`${running.url}/api/runs/${runId}/files?filename=big.bin`, {
        method: "PUT",
        headers: { authorization: `Bearer ${s.tokens.vision}` },
        body: chunks,
        duplex: "half",
      } as RequestInit);
      expect(upload.status).toBe(413);
      const batch = await fetch(`${running.url}/api/runs/${runId}/batches`, {
        method: "POST",
        headers: { authorization: `Bearer ${s.tokens.vision}`, "content-type": "application/json" },
        body: JSON.stringify(pointsBatch("c", 1, 0, 5000)),
      });
      expect(batch.status).toBe(413);
      expect((await s.json("GET", `/api/runs/${runId}/files`)).body.files).toEqual([]);
    } finally {
      await running.close();
    }
  });

  it.each([
    ["a .. segment", "alice/../etc"],
    ["an absolute path", "/etc/passwd"],
    ["a single segment", "alice"],
    ["an empty segment", "alice//run"],
  ])("refuses a run prefix with %s (400 INVALID_PREFIX)", async (_what, prefix) => {
    const response = await s.json("POST", "/api/runs", { prefix }, { token: s.tokens.admin });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("INVALID_PREFIX");
  });

  it.each([
    ["filename=../escape.txt", "INVALID_TRACKING_NAME"],
    ["filename=a%2Fb.txt", "INVALID_TRACKING_NAME"],
    ["prefix=../../outside&filename=x.txt", "INVALID_TRACKING_NAME"],
    ["prefix=models/../..&filename=x.txt", "INVALID_TRACKING_NAME"],
    ["filename=..", "INVALID_TRACKING_NAME"],
    ["filename=x&unknown=1", "BAD_REQUEST"],
  ])("refuses file upload query %s", async (query, code) => {
    const response = await s.request("PUT", `/api/runs/${runId}/files?${query}`, "data");
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe(code);
    expect((await s.json("GET", `/api/runs/${runId}/files`)).body.files).toEqual([]);
  });

  it("refuses bad query parameters with 400", async () => {
    for (const query of ["limit=0", "limit=abc", "status=DONE", "sort=name", "bogus=1"]) {
      const response = await s.json("GET", `/api/runs?${query}`);
      expect([query, response.status, response.body.error.code]).toEqual([query, 400, "BAD_REQUEST"]);
    }
    expect((await s.json("GET", `/api/runs/${runId}/logs?regex=(`)).status).toBe(400);
    expect((await s.json("GET", `/api/runs/${runId}/logs?level=loud`)).status).toBe(400);
    expect((await s.json("GET", `/api/runs/${runId}/metrics/train?from=5&to=2`)).status).toBe(400);
  });

  it("answers 404 RUN_NOT_FOUND for an unknown run id", async () => {
    const response = await post(pointsBatch("c", 1, 0, 1));
    expect(response.status).toBe(200);
    const missing = await s.json("POST", "/api/runs/does-not-exist/batches", pointsBatch("c", 1, 0, 1));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("RUN_NOT_FOUND");
  });
});
