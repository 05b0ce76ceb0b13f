import { setTimeout as sleep } from "node:timers/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/server/openapi.js";
import { dashboardOpenApi } from "../../src/server/dashboard/dashboard-openapi.js";
import { unresolvedRefs } from "../../src/server/openapi-tools.js";
import { inProcessServer, serveProcess, type InProcessServer } from "./helpers.js";
import { rawRequest } from "./raw-http.js";

// The input edges of issue #11 (item 9): each was answered 200 and stored wrongly, or answered unclearly.
describe("input edges: refused clearly, nothing stored", () => {
  let s: InProcessServer;
  let runId: string;
  beforeEach(async () => {
    s = await inProcessServer();
    runId = (await s.json("POST", "/api/runs", { prefix: "alice/vision/run" })).body.run.id;
  });
  afterEach(() => s.close());
  const runs = async () =>
    (await s.json("GET", "/api/runs")).body.runs.map((r: { prefix: string }) => r.prefix);
  const batch = (extra: Record<string, unknown>) => ({ clientId: "edge", seq: 1, ...extra });

  it("prefixes: lone surrogates, U+FFFD, invalid UTF-8 bytes, newlines and control characters", async () => {
    for (const prefix of [
      "alice/vision/a\ud800",
      "alice/vision/\udc00b",
      "alice/vision/\ufffd",
      "alice/vision/x\ny",
      "alice/vision/t\tb",
      "alice/vi\u007fsion/x",
    ]) {
      const answer = await s.json("POST", "/api/runs", { prefix });
      expect([answer.status, answer.body.error.code], JSON.stringify(prefix)).toEqual([
        400,
        "INVALID_PREFIX",
      ]);
    }
    const latin1 = Buffer.concat([
      Buffer.from('{"prefix":"alice/vision/caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    const bytes = await s.json("POST", "/api/runs", new Uint8Array(latin1), {
      headers: { "content-type": "application/json" },
    } as never);
    expect([bytes.status, bytes.body.error.code, bytes.body.error.details.problem]).toEqual([
      400,
      "BAD_REQUEST",
      "invalid-utf8",
    ]);
    const query = await s.json("GET", "/api/runs/by-prefix?prefix=alice%2Fvision%2F%FF");
    expect([query.status, query.body.error.code]).toEqual([400, "INVALID_PREFIX"]);
    expect(await runs()).toEqual(["alice/vision/run"]);
  });

  it("__proto__ keys in params, metadata and metric fields are refused by name, never dropped", async () => {
    const cases: [string, string, string][] = [
      ["POST", "/api/runs", '{"prefix":"alice/vision/p","metadata":{"__proto__":{"x":1}}}'],
      ["POST", `/api/runs/${runId}/batches`, '{"clientId":"e","seq":1,"params":{"__proto__":{"lr":1}}}'],
      ["POST", `/api/runs/${runId}/batches`, '{"clientId":"e","seq":1,"params":{"opt":{"__proto__":1}}}'],
      [
        "POST",
        `/api/runs/${runId}/batches`,
        '{"clientId":"e","seq":1,"metrics":[{"stream":"t","points":[{"fields":{"__proto__":1},"ts":1}]}]}',
      ],
      [
        "POST",
        `/api/runs/${runId}/batches`,
        '{"clientId":"e","seq":1,"metrics":[{"stream":"t","points":[{"fields":{"h":{"__proto__":1}},"ts":1}]}]}',
      ],
    ];
    for (const [method, path, body] of cases) {
      const answer = await s.json(method, path, body);
      expect([answer.status, answer.body.error.code], body).toEqual([400, "BAD_REQUEST"]);
      expect(answer.body.error.message, body).toContain('"__proto__"');
    }
    expect((await s.json("GET", `/api/runs/${runId}/params`)).body.params).toEqual({});
    expect((await s.json("GET", `/api/runs/${runId}/metrics`)).body.streams).toEqual([]);
    expect(await runs()).toEqual(["alice/vision/run"]);
    // The store refuses them too (the SDK's local and remote paths go through it).
    await expect(
      s.store.applyBatch(runId, batch({ params: JSON.parse('{"__proto__":1}') }) as never),
    ).rejects.toThrow(/__proto__/);
  });

  it("metric times: seconds since the epoch between 1970 and the year 10000", async () => {
    for (const ts of [-1e308, -1, 1e12 * 1000, 253402300801]) {
      const answer = await s.json(
        "POST",
        `/api/runs/${runId}/batches`,
        batch({ metrics: [{ stream: "t", points: [{ fields: { x: 1 }, ts }] }] }),
      );
      expect([answer.status, answer.body.error.code], String(ts)).toEqual([400, "BAD_REQUEST"]);
    }
    const ok = await s.json(
      "POST",
      `/api/runs/${runId}/batches`,
      batch({ metrics: [{ stream: "t", points: [{ fields: { x: 1 }, ts: Date.now() / 1000 }] }] }),
    );
    expect(ok.status).toBe(200);
  });

  it("tokens: an expired one is told expired (with what to do), a revoked one revoked", async () => {
    const expiring = await s.store.createToken({
      project: "vision",
      expiresAt: new Date(Date.now() + 800).toISOString(),
    });
    const revoked = await s.store.createToken({ project: "vision" });
    await s.store.revokeToken(revoked.token.id);
    await sleep(900);
    const expired = await s.json("GET", "/api/runs", undefined, { token: expiring.secret });
    expect([expired.status, expired.body.error.code, expired.body.error.details.reason]).toEqual([
      401,
      "UNAUTHORIZED",
      "expired",
    ]);
    expect(expired.body.error.message).toContain("expired at");
    expect(expired.body.error.message).toContain("labrun token create");
    const gone = await s.json("GET", "/api/runs", undefined, { token: revoked.secret });
    expect([gone.status, gone.body.error.details.reason]).toEqual([401, "revoked"]);
    const unknown = await s.json("GET", "/api/runs", undefined, { token: "lrt_nope" });
    expect([unknown.status, unknown.body.error.details.reason]).toEqual([401, "unknown"]);
  });

  it("a read-only token searching MLflow experiments writes nothing (no mlflow/Default run)", async () => {
    const search = await s.json(
      "POST",
      "/api/2.0/mlflow/experiments/search",
      { max_results: 10 },
      { token: s.tokens.visionRead },
    );
    expect(search.status).toBe(200);
    const byName = await s.json(
      "GET",
      "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default",
      undefined,
      { token: s.tokens.visionRead },
    );
    expect(byName.status).toBe(404);
    expect(await s.store.getRunByPrefix("mlflow/Default")).toBeUndefined();
    // A token that may write still gets Default created on first use, as MLflow does.
    const admin = await s.json(
      "POST",
      "/api/2.0/mlflow/experiments/search",
      { max_results: 10 },
      { token: s.tokens.admin },
    );
    // Besides the projects' read-only experiments (labrun/<owner>/<project>), only Default exists.
    const names: string[] = admin.body.experiments.map((e: { name: string }) => e.name);
    expect(names.filter((name) => !name.startsWith("labrun/"))).toEqual(["Default"]);
  });

  it("the OpenAPI documents are self-contained: every $ref resolves", () => {
    for (const document of [openApiDocument("1.0.0"), dashboardOpenApi()]) {
      expect(unresolvedRefs(document)).toEqual([]);
      expect(JSON.stringify(document)).not.toContain("$defs");
    }
    expect(unresolvedRefs({ a: { $ref: "#/$defs/__schema0" } })).toEqual(["#/$defs/__schema0"]);
  });
});

describe("oversized URLs and headers over a real socket: JSON 414 / 431, not a bare status or a reset", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveProcess>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "labrun-edges-"));
    server = await serveProcess(
      ["--no-auth", "--db", `sqlite:${join(dir, "labrun.db")}`, "--files", join(dir, "f")],
      { LABRUN_HOME: dir },
    );
  }, 60_000);
  afterAll(async () => {
    server.child.kill("SIGKILL");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers each with the error body", async () => {
    for (const size of [20_000, 100_000]) {
      const answer = await rawRequest(server.url, { path: `/api/runs?prefix=${"a".repeat(size)}` });
      expect([answer.status, answer.body?.error?.code], String(size)).toEqual([414, "URI_TOO_LONG"]);
    }
    const headers = await rawRequest(server.url, {
      path: "/api/runs",
      headers: { "x-big": "b".repeat(70_000) },
    });
    expect([headers.status, headers.body?.error?.code]).toEqual([431, "HEADERS_TOO_LARGE"]);
    expect((await rawRequest(server.url, { path: `/api/runs?prefix=${"a".repeat(15_000)}` })).status).toBe(
      400,
    );
    expect((await rawRequest(server.url, { path: "/api/health" })).status).toBe(200);
  });

  it("a known path asked with another method is a JSON 405 with Allow; an unknown path a JSON 404", async () => {
    for (const method of ["TRACE", "DELETE", "POST"]) {
      const answer = await rawRequest(server.url, { method, path: "/api/health" });
      expect([answer.status, answer.body?.error?.code, answer.headers.allow], method).toEqual([
        405,
        "METHOD_NOT_ALLOWED",
        "GET, HEAD",
      ]);
    }
    const runs = await rawRequest(server.url, { method: "PUT", path: "/api/runs" });
    expect([runs.status, runs.headers.allow]).toEqual([405, "GET, HEAD, POST"]);
    const nowhere = await rawRequest(server.url, { path: "/api/nowhere" });
    expect([nowhere.status, nowhere.body?.error?.code]).toEqual([404, "NOT_FOUND"]);
  });
});
