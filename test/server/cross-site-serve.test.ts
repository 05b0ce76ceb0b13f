import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { serveProcess } from "./helpers.js";
import { rawRequest } from "./raw-http.js";

// `labrun serve`: tokens are not sent by browsers on their own, but a server without auth is open to any
// page that reaches it; Origin and JSON checks apply to every state-changing request.
describe("labrun serve against cross-site requests", () => {
  let dir: string;
  let stops: (() => Promise<unknown>)[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "labrun-cross-serve-"));
    stops = [];
  });
  afterEach(async () => {
    for (const stop of stops) await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const serve = async (...args: string[]) => {
    const server = await serveProcess(
      ["--db", `sqlite:${join(dir, "labrun.db")}`, "--files", join(dir, "files"), ...args],
      { LABRUN_HOME: dir },
    );
    stops.push(async () => {
      server.child.kill("SIGKILL");
      await server.exited;
    });
    return { ...server, port: new URL(server.url).port };
  };
  const token = () => {
    const made = runCli(
      ["token", "create", "--project", "*", "--json", "--db", `sqlite:${join(dir, "labrun.db")}`],
      {
        workspace: dir,
      },
    );
    return (JSON.parse(made.stdout) as { secret: string }).secret;
  };
  const json = (extra: Record<string, string> = {}) => ({ "content-type": "application/json", ...extra });

  it("without auth: answers only its own host names, and refuses cross-site writes", async () => {
    const server = await serve("--no-auth");
    const foreign = await rawRequest(server.url, { path: "/api/runs", headers: { host: "rebound.example" } });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, "HOST_NOT_ALLOWED"]);
    const page = await rawRequest(server.url, { path: "/", headers: { host: "rebound.example" } });
    expect(page.status).toBe(403);
    expect(
      (await rawRequest(server.url, { path: "/api/runs", headers: { host: `localhost:${server.port}` } }))
        .status,
    ).toBe(200);
    const body = JSON.stringify({ prefix: "alice/vision/r1" });
    const host = `127.0.0.1:${server.port}`;
    const crossSite = await rawRequest(server.url, {
      method: "POST",
      path: "/api/runs",
      headers: json({ host, origin: "https://evil.example" }),
      body,
    });
    expect([crossSite.status, crossSite.body.error.code]).toEqual([403, "CROSS_ORIGIN"]);
    const plain = await rawRequest(server.url, {
      method: "POST",
      path: "/api/runs",
      headers: { host, "content-type": "text/plain" },
      body,
    });
    expect([plain.status, plain.body.error.code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const listed = await rawRequest(server.url, { path: "/api/runs", headers: { host } });
    expect(listed.body.runs).toEqual([]);
    // A program (no Origin) and the server's own pages (same origin) still write.
    for (const headers of [
      json({ host }),
      json({ host, origin: `http://${host}`, "sec-fetch-site": "same-origin" }),
    ]) {
      const created = await rawRequest(server.url, { method: "POST", path: "/api/runs", headers, body });
      expect(created.status, created.text).toBe(200);
    }
  });

  it("with auth: any Host by default, --allowed-hosts restricts them; Origin and JSON checked; MLflow paths too", async () => {
    const secret = token();
    const open = await serve();
    const auth = { authorization: `Bearer ${secret}` };
    const proxied = await rawRequest(open.url, {
      path: "/api/runs",
      headers: { ...auth, host: "labrun.lab.example" },
    });
    expect(proxied.status).toBe(200);
    const mlflow = await rawRequest(open.url, {
      method: "POST",
      path: "/api/2.0/mlflow/experiments/create",
      headers: json({ ...auth, host: `127.0.0.1:${open.port}`, origin: "https://evil.example" }),
      body: JSON.stringify({ name: "x" }),
    });
    expect([mlflow.status, mlflow.body.error_code]).toEqual([403, "PERMISSION_DENIED"]);
    const plainBatch = await rawRequest(open.url, {
      method: "POST",
      path: "/api/runs/nope/batches",
      headers: { ...auth, host: `127.0.0.1:${open.port}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect([plainBatch.status, plainBatch.body.error.code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);

    const strict = await serve("--allowed-hosts", "labrun.lab.example");
    const allowed = await rawRequest(strict.url, {
      path: "/api/runs",
      headers: { ...auth, host: "labrun.lab.example:443" },
    });
    expect(allowed.status).toBe(200);
    const other = await rawRequest(strict.url, {
      path: "/api/runs",
      headers: { ...auth, host: "other.example" },
    });
    expect([other.status, other.body.error.code]).toEqual([403, "HOST_NOT_ALLOWED"]);
    const bad = runCli(["serve", "--allowed-hosts", "http://x:1", "--port", "0"], { workspace: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--allowed-hosts");
  });
});
