import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inProcessServer, pointsBatch, serverBackends, type InProcessServer } from "./helpers.js";

describe.each(serverBackends())("bearer-token auth on %s", (backend) => {
  let s: InProcessServer;
  let visionRun: string;
  let otherRun: string;
  beforeEach(async () => {
    s = await inProcessServer({ backend });
    visionRun = (await s.json("POST", "/api/runs", { prefix: "alice/vision/run" })).body.run.id;
    otherRun = (await s.json("POST", "/api/runs", { prefix: "bob/other/run" }, { token: s.tokens.other }))
      .body.run.id;
  });
  afterEach(async () => {
    await s.close();
  });

  it("answers 401 UNAUTHORIZED without a token, with an unknown one, or a malformed header", async () => {
    for (const options of [{ token: null }, { token: "lrt_not-a-real-token" }]) {
      const response = await s.json("GET", `/api/runs/${visionRun}`, undefined, options);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("UNAUTHORIZED");
    }
    const basic = await s.request("GET", `/api/runs/${visionRun}`, undefined, {
      token: null,
      headers: { authorization: "Basic abc" },
    });
    expect(basic.status).toBe(401);
  });

  it("answers 403 FORBIDDEN for another project's run, on every route", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", `/api/runs/${otherRun}`],
      ["PATCH", `/api/runs/${otherRun}`, { description: "x" }],
      ["DELETE", `/api/runs/${otherRun}`],
      ["POST", `/api/runs/${otherRun}/batches`, pointsBatch("c", 1, 0, 1)],
      ["GET", `/api/runs/${otherRun}/params`],
      ["GET", `/api/runs/${otherRun}/metrics`],
      ["GET", `/api/runs/${otherRun}/metrics/train`],
      ["GET", `/api/runs/${otherRun}/logs`],
      ["GET", `/api/runs/${otherRun}/files`],
      ["GET", `/api/runs/${otherRun}/events`],
      ["POST", "/api/runs", { prefix: "bob/other/new" }],
      ["GET", "/api/runs/by-prefix?prefix=bob/other/run"],
      ["GET", "/api/runs?project=other"],
    ];
    for (const [method, path, body] of routes) {
      const response = await s.json(method, path, body);
      expect([method, path, response.status, response.body.error.code]).toEqual([
        method,
        path,
        403,
        "FORBIDDEN",
      ]);
    }
    const upload = await s.request("PUT", `/api/runs/${otherRun}/files?filename=x`, "x");
    expect(upload.status).toBe(403);
    // Nothing was changed by the refused writes.
    const run = (await s.json("GET", `/api/runs/${otherRun}`, undefined, { token: s.tokens.other })).body.run;
    expect(run.description).toBeUndefined();
    expect(run.deleted).toBe(false);
  });

  it("lists only the token's project; an admin token sees every project", async () => {
    const mine = (await s.json("GET", "/api/runs")).body.runs.map((r: any) => r.prefix);
    expect(mine).toEqual(["alice/vision/run"]);
    const all = (await s.json("GET", "/api/runs", undefined, { token: s.tokens.admin })).body.runs.map(
      (r: any) => r.prefix,
    );
    expect(all.sort()).toEqual(["alice/vision/run", "bob/other/run"]);
  });

  it("lets a read-only token read but not write (403)", async () => {
    const read = await s.json("GET", `/api/runs/${visionRun}`, undefined, { token: s.tokens.visionRead });
    expect(read.status).toBe(200);
    for (const [method, path, body] of [
      ["POST", `/api/runs/${visionRun}/batches`, pointsBatch("c", 1, 0, 1)],
      ["POST", "/api/runs", { prefix: "alice/vision/new" }],
      ["PATCH", `/api/runs/${visionRun}`, { description: "x" }],
      ["DELETE", `/api/runs/${visionRun}`],
    ] as const) {
      const response = await s.json(method, path, body, { token: s.tokens.visionRead });
      expect([method, response.status, response.body.error.code]).toEqual([method, 403, "FORBIDDEN"]);
    }
    expect((await s.json("GET", `/api/runs/${visionRun}/metrics`)).body.streams).toEqual([]);
  });

  it("refuses revoked and expired tokens at once", async () => {
    const created = await s.store.createToken({ project: "vision" });
    expect((await s.json("GET", `/api/runs/${visionRun}`, undefined, { token: created.secret })).status).toBe(
      200,
    );
    await s.store.revokeToken(created.token.id);
    expect((await s.json("GET", `/api/runs/${visionRun}`, undefined, { token: created.secret })).status).toBe(
      401,
    );
    const expiring = await s.store.createToken({
      project: "vision",
      expiresAt: new Date(Date.now() + 300).toISOString(),
    });
    expect(
      (await s.json("GET", `/api/runs/${visionRun}`, undefined, { token: expiring.secret })).status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(
      (await s.json("GET", `/api/runs/${visionRun}`, undefined, { token: expiring.secret })).status,
    ).toBe(401);
  });

  it("accepts every request without a token when auth is off", async () => {
    const open = await inProcessServer({ backend, auth: false });
    try {
      const response = await open.json("POST", "/api/runs", { prefix: "x/y/z" }, { token: null });
      expect(response.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
