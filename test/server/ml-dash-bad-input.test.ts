import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessServer, type InProcessServer } from "./helpers.js";

// Bad input to ML-Dash's routes: a clear 4xx in labrun's error shape, and nothing already written is lost.
describe("ML-Dash's routes refuse bad input without losing data", () => {
  let s: InProcessServer;
  let runId: string;

  beforeAll(async () => {
    s = await inProcessServer();
    const created = await s.json("POST", "/api/namespaces/alice/nodes", {
      type: "EXPERIMENT",
      name: "run",
      parentId: "ROOT",
      projectSlug: "vision",
    });
    expect(created.status).toBe(200);
    runId = created.body.experiment.id;
    const ok = await s.json("POST", `/api/experiments/${runId}/metrics/train/append-batch`, {
      dataPoints: [{ loss: 0.5, step: 0, _ts: 1_700_000_000 }],
    });
    expect(ok.body).toEqual({ metricId: "train", count: 1 });
  });
  afterAll(() => s.close());

  const points = async () => (await s.json("GET", `/api/runs/${runId}/metrics/train`)).body.points;

  it("malformed points, ids, names and forms are 400s that say what is wrong", async () => {
    const cases: [string, string, unknown, RegExp][] = [
      [
        "POST",
        `/api/experiments/${runId}/metrics/train/append-batch`,
        { dataPoints: [1, 2] },
        /dataPoints\.0/,
      ],
      ["POST", `/api/experiments/${runId}/metrics/train/append-batch`, { points: [] }, /dataPoints/],
      [
        "POST",
        `/api/experiments/${runId}/logs`,
        { logs: [{ level: "loud", message: "x", timestamp: "t" }] },
        /level/,
      ],
      ["PATCH", `/api/nodes/${runId}`, { status: "DONE" }, /status/],
      ["GET", "/api/nodes/proj~not-base64!", undefined, /not a node id of this server/],
      [
        "POST",
        "/api/namespaces/alice/nodes",
        { type: "FOLDER", name: "f" },
        /needs projectId or projectSlug/,
      ],
      [
        "POST",
        "/api/namespaces/alice/nodes",
        { type: "EXPERIMENT", name: "a", projectId: runId },
        /not a project id/,
      ],
      ["GET", `/api/experiments/${runId}/metrics/train/rows?cursor=abc`, undefined, /cursor/],
      ["GET", `/api/experiments/${runId}/tracks/robot/data?format=parquet`, undefined, /json or jsonl/],
      ["GET", `/api/search/files?pattern=*`, undefined, /experimentId/],
    ];
    for (const [method, path, body, message] of cases) {
      const response = await s.json(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.body.error.code, `${method} ${path}`).toBe("BAD_REQUEST");
      expect(response.body.error.message, `${method} ${path}`).toMatch(message);
    }
    expect(await points()).toHaveLength(1);
  });

  it("an unknown experiment is a 404; another project's token a 403; a read-only token cannot write", async () => {
    const missing = await s.json("POST", "/api/experiments/nope/parameters", { data: { lr: 1 } });
    expect([missing.status, missing.body.error.code]).toEqual([404, "RUN_NOT_FOUND"]);
    const other = await s.json("GET", `/api/experiments/${runId}/parameters`, undefined, {
      token: s.tokens.other,
    });
    expect(other.status).toBe(403);
    const foreign = await s.json(
      "POST",
      "/api/namespaces/alice/nodes",
      { type: "EXPERIMENT", name: "x", projectSlug: "vision" },
      { token: s.tokens.other },
    );
    expect(foreign.status).toBe(403);
    const readOnly = await s.json(
      "POST",
      `/api/experiments/${runId}/metrics/train/append`,
      { data: { loss: 1 } },
      { token: s.tokens.visionRead },
    );
    expect(readOnly.status).toBe(403);
    expect(await points()).toHaveLength(1);
  });

  it("an upload whose bytes do not match the client's checksum is refused and leaves no file", async () => {
    const form = new FormData();
    form.set("type", "FILE");
    form.set("experimentId", runId);
    form.set("parentId", runId);
    form.set("name", "model.pt");
    form.set("checksum", "0".repeat(64));
    form.set("file", new Blob(["weights"]), "model.pt");
    const response = await s.server.app.request("/api/namespaces/alice/nodes", {
      method: "POST",
      headers: { authorization: `Bearer ${s.tokens.vision}` },
      body: form,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe("CHECKSUM_MISMATCH");
    const noFile = new FormData();
    noFile.set("type", "FILE");
    noFile.set("experimentId", runId);
    noFile.set("name", "x");
    const without = await s.server.app.request("/api/namespaces/alice/nodes", {
      method: "POST",
      headers: { authorization: `Bearer ${s.tokens.vision}` },
      body: noFile,
    });
    expect(without.status).toBe(400);
    expect((await s.json("GET", `/api/runs/${runId}/files`)).body.files).toEqual([]);
    // Without a token, a multipart POST is refused as any non-JSON write is (a browser form cannot add one).
    const anonymous = await s.server.app.request("/api/namespaces/alice/nodes", {
      method: "POST",
      body: form,
    });
    expect(anonymous.status).toBe(415);
  });
});
