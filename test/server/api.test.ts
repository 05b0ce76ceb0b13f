import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inProcessServer, pointsBatch, serverBackends, type InProcessServer } from "./helpers.js";

describe.each(serverBackends())("JSON API on %s", (backend) => {
  let s: InProcessServer;
  beforeEach(async () => {
    s = await inProcessServer({ backend });
  });
  afterEach(async () => {
    await s.close();
  });

  const createRun = async (prefix = "alice/vision/exp/run1", extra: object = {}) => {
    const { status, body } = await s.json("POST", "/api/runs", { prefix, ...extra });
    expect(status).toBe(200);
    return body.run as { id: string; prefix: string; status: string };
  };

  it("upserts a run by prefix and reads it by id and by prefix", async () => {
    const run = await createRun("alice/vision/exp/run1", { description: "first", tags: ["a", "b"] });
    expect(run).toMatchObject({ prefix: "alice/vision/exp/run1", status: "RUNNING" });
    const again = await createRun("alice/vision/exp/run1", { description: "second" });
    expect(again.id).toBe(run.id);
    expect((await s.json("GET", `/api/runs/${run.id}`)).body.run).toMatchObject({
      description: "second",
      project: "vision",
    });
    const byPrefix = await s.json("GET", `/api/runs/by-prefix?prefix=${encodeURIComponent(run.prefix)}`);
    expect(byPrefix.body.run.id).toBe(run.id);
    expect((await s.json("GET", "/api/runs/by-prefix?prefix=alice/vision/nope")).status).toBe(404);
  });

  it("stores a batch once however often it is sent, and reads metrics, params and logs back", async () => {
    const run = await createRun();
    const batch = {
      ...pointsBatch("client-1", 1, 0, 5),
      params: { "model.depth": 50, lr: 0.001 },
      logs: [{ level: "warn", message: "loss is high", timestamp: "2026-01-01T00:00:00.000Z" }],
    };
    expect((await s.json("POST", `/api/runs/${run.id}/batches`, batch)).body).toEqual({ duplicate: false });
    expect((await s.json("POST", `/api/runs/${run.id}/batches`, batch)).body).toEqual({ duplicate: true });
    expect(
      (await s.json("POST", `/api/runs/${run.id}/batches`, pointsBatch("client-1", 2, 5, 5))).body,
    ).toEqual({
      duplicate: false,
    });
    const series = (await s.json("GET", `/api/runs/${run.id}/metrics/train`)).body;
    expect(series.count).toBe(10);
    expect(series.points.map((p: any) => p.fields.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ranged = (await s.json("GET", `/api/runs/${run.id}/metrics/train?from=2&to=4&fields=loss`)).body;
    expect(ranged.points.map((p: any) => p.index)).toEqual([2, 3]);
    expect(Object.keys(ranged.points[0].fields)).toEqual(["loss"]);
    const streams = (await s.json("GET", `/api/runs/${run.id}/metrics`)).body.streams;
    expect(streams).toMatchObject([{ stream: "train", count: 10 }]);
    expect((await s.json("GET", `/api/runs/${run.id}/params`)).body.params).toEqual({
      "model.depth": 50,
      lr: 0.001,
    });
    const logs = (await s.json("GET", `/api/runs/${run.id}/logs?level=warn,error`)).body.logs;
    expect(logs).toMatchObject([{ level: "warn", message: "loss is high" }]);
    expect((await s.json("GET", `/api/runs/${run.id}/logs?level=info`)).body.logs).toEqual([]);
  });

  it('round-trips NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"', async () => {
    const run = await createRun();
    const points = ["NaN", "Infinity", "-Infinity", 1.5].map((loss, i) => ({ fields: { loss }, ts: i }));
    await s.json("POST", `/api/runs/${run.id}/batches`, {
      clientId: "c",
      seq: 1,
      metrics: [{ stream: "", points }],
    });
    const series = (await s.json("GET", `/api/runs/${run.id}/metrics/None`)).body;
    expect(series.stream).toBe("None");
    expect((await s.json("GET", `/api/runs/${run.id}/metrics`)).body.streams).toMatchObject([
      { stream: "None" },
    ]);
    // A batch may name the unnamed stream `None` too; `_` is an ordinary stream.
    await s.json("POST", `/api/runs/${run.id}/batches`, {
      clientId: "c",
      seq: 2,
      metrics: [
        { stream: "None", points: [{ fields: { loss: 2 }, ts: 5 }] },
        { stream: "_", points: [{ fields: { loss: 3 }, ts: 5 }] },
      ],
    });
    expect((await s.json("GET", `/api/runs/${run.id}/metrics/None`)).body.count).toBe(5);
    expect((await s.json("GET", `/api/runs/${run.id}/metrics/_`)).body).toMatchObject({
      stream: "_",
      count: 1,
    });
    expect(series.points.map((p: any) => p.fields.loss)).toEqual(["NaN", "Infinity", "-Infinity", 1.5]);
  });

  it("searches by prefix, tag, status and parameter value, with paging", async () => {
    for (let i = 0; i < 5; i++) {
      const run = await createRun(`alice/vision/sweep/r${i}`, { tags: i % 2 ? ["odd"] : ["even"] });
      await s.json("POST", `/api/runs/${run.id}/batches`, { clientId: "c", seq: 1, params: { lr: i / 10 } });
      if (i === 4) await s.json("PATCH", `/api/runs/${run.id}`, { status: { status: "COMPLETED" } });
    }
    const search = async (query: string) =>
      (await s.json("GET", `/api/runs?${query}`, undefined, { token: s.tokens.admin })).body;
    expect((await search("prefix=alice/vision/sweep")).total).toBe(5);
    expect((await search("tag=odd")).runs.map((r: any) => r.name).sort()).toEqual(["r1", "r3"]);
    expect((await search("status=COMPLETED")).runs.map((r: any) => r.name)).toEqual(["r4"]);
    expect((await search("param.lr=0.2")).runs.map((r: any) => r.name)).toEqual(["r2"]);
    const page1 = await search("sort=prefix&order=asc&limit=2");
    expect(page1.runs.map((r: any) => r.name)).toEqual(["r0", "r1"]);
    const page2 = await search(
      `sort=prefix&order=asc&limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`,
    );
    expect(page2.runs.map((r: any) => r.name)).toEqual(["r2", "r3"]);
  });

  it("changes description, tags and status; refuses a second final status with 409", async () => {
    const run = await createRun();
    const patched = await s.json("PATCH", `/api/runs/${run.id}`, {
      description: "d",
      tags: ["x"],
      status: { status: "FAILED", error: "boom" },
    });
    expect(patched.body.run).toMatchObject({
      description: "d",
      tags: ["x"],
      status: "FAILED",
      error: "boom",
    });
    const conflict = await s.json("PATCH", `/api/runs/${run.id}`, { status: { status: "COMPLETED" } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe("RUN_STATUS_TRANSITION");
  });

  it("deletes a run softly: gone from searches and prefix lookups, still readable by id", async () => {
    const run = await createRun();
    expect((await s.json("DELETE", `/api/runs/${run.id}`)).body).toEqual({ ok: true });
    expect((await s.json("GET", `/api/runs/${run.id}`)).body.run).toMatchObject({
      id: run.id,
      deleted: true,
    });
    expect((await s.json("GET", "/api/runs")).body.runs).toEqual([]);
    const gone = await s.json("GET", `/api/runs/by-prefix?prefix=${run.prefix}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("RUN_NOT_FOUND");
    expect((await s.json("GET", "/api/runs/no-such-run")).status).toBe(404);
  });

  it("uploads a file with its SHA-256 checked and downloads the same bytes", async () => {
    const run = await createRun();
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const upload = await s.request(
      "PUT",
      `/api/runs/${run.id}/files?prefix=models/best&filename=model.bin`,
      bytes,
      {
        headers: { "x-labrun-sha256": sha, "content-type": "application/octet-stream" },
      },
    );
    expect(upload.status).toBe(200);
    const { file } = (await upload.json()) as any;
    expect(file).toMatchObject({ prefix: "models/best", filename: "model.bin", size: 300_000, sha256: sha });
    const listed = (await s.json("GET", `/api/runs/${run.id}/files?prefix=models/best`)).body.files;
    expect(listed.map((f: any) => f.id)).toEqual([file.id]);
    const download = await s.request("GET", `/api/runs/${run.id}/files/${file.id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get("etag")).toBe(`"${sha}"`);
    expect(download.headers.get("content-length")).toBe("300000");
    const got = new Uint8Array(await download.arrayBuffer());
    expect(createHash("sha256").update(got).digest("hex")).toBe(sha);
    expect(
      (
        await s.request("GET", `/api/runs/${run.id}/files/${file.id}`, undefined, {
          headers: { "if-none-match": `"${sha}"` },
        })
      ).status,
    ).toBe(304);
  });

  it("serves a file with a non-ASCII name (ASCII fallback plus RFC 5987 filename*)", async () => {
    const run = await createRun();
    const upload = await s.request(
      "PUT",
      `/api/runs/${run.id}/files?filename=${encodeURIComponent('模型 "v2".txt')}`,
      "hi",
    );
    const { file } = (await upload.json()) as any;
    expect(file.filename).toBe('模型 "v2".txt');
    const download = await s.request("GET", `/api/runs/${run.id}/files/${file.id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="__ _v2_.txt"; filename*=UTF-8''${encodeURIComponent('模型 "v2".txt')}`,
    );
    expect(await download.text()).toBe("hi");
  });

  it("refuses an upload whose bytes do not match X-Labrun-Sha256 and keeps nothing", async () => {
    const run = await createRun();
    const response = await s.request("PUT", `/api/runs/${run.id}/files?filename=a.txt`, "hello", {
      headers: { "x-labrun-sha256": "0".repeat(64) },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe("CHECKSUM_MISMATCH");
    expect((await s.json("GET", `/api/runs/${run.id}/files`)).body.files).toEqual([]);
    expect(readdirSync(join(s.dir, "files", "tmp"))).toEqual([]);
  });

  it("serves /api/health and an OpenAPI 3.1 document of every route without a token", async () => {
    const health = await s.json("GET", "/api/health", undefined, { token: null });
    expect(health.body).toMatchObject({ ok: true, store: backend });
    const doc = (await s.json("GET", "/api/openapi.json", undefined, { token: null })).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/runs",
        "/api/runs/{runId}/batches",
        "/api/runs/{runId}/files",
        "/api/runs/{runId}/events",
      ]),
    );
    const batch = doc.paths["/api/runs/{runId}/batches"].post.requestBody.content["application/json"].schema;
    expect(batch.required).toEqual(expect.arrayContaining(["clientId", "seq"]));
    expect(batch.additionalProperties).toBe(false);
  });

  it("answers unknown endpoints with 404 NOT_FOUND in the error format", async () => {
    const response = await s.json("GET", "/api/nothing-here");
    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ code: "NOT_FOUND" });
  });
});
