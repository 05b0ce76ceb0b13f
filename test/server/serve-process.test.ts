import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import {
  api,
  pointsBatch,
  serveProcess,
  serverBackends,
  testDatabase,
  type TestDatabase,
} from "./helpers.js";

describe.each(serverBackends())("labrun serve as a process, on %s", (backend) => {
  let dir: string;
  let db: TestDatabase;
  let stops: (() => Promise<unknown>)[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "labrun-serve-"));
    db = await testDatabase(backend, dir);
    stops = [];
  });
  afterEach(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, "--db", db.uri], { workspace: dir });
  const serve = async (...args: string[]) => {
    const server = await serveProcess(["--db", db.uri, "--files", join(dir, "files"), ...args], {
      LABRUN_HOME: dir,
    });
    stops.push(async () => {
      server.child.kill("SIGKILL");
      await server.exited;
    });
    return server;
  };
  const createToken = (...args: string[]) => {
    const result = cli("token", "create", ...args, "--json");
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { secret: string; token: { id: string } };
  };

  it("serves with tokens made by `labrun token create`; `token revoke` shuts one out; `token list` shows them", async () => {
    const writer = createToken("--project", "vision", "--description", "ci");
    const reader = createToken("--project", "vision", "--read-only", "--expires", "30d");
    const server = await serve();
    const created = await api(server.url, "POST", "/api/runs", writer.secret, { prefix: "alice/vision/r1" });
    expect(created.status).toBe(200);
    expect(
      (await api(server.url, "POST", "/api/runs", reader.secret, { prefix: "alice/vision/r2" })).status,
    ).toBe(403);
    expect((await api(server.url, "GET", `/api/runs/${created.body.run.id}`, reader.secret)).status).toBe(
      200,
    );
    const listed = JSON.parse(cli("token", "list", "--json").stdout) as {
      id: string;
      readOnly: boolean;
      expiresAt?: string;
    }[];
    expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([writer.token.id, reader.token.id]));
    expect(listed.find((t) => t.id === reader.token.id)).toMatchObject({
      readOnly: true,
      expiresAt: expect.any(String),
    });
    expect(JSON.stringify(listed)).not.toContain(writer.secret);
    // The dashboard is served beside the API; its API (every project's runs) needs an admin token.
    const admin = createToken("--project", "*", "--read-only");
    expect((await api(server.url, "GET", "/api/dashboard/runs", writer.secret)).status).toBe(403);
    const dashboardRuns = await api(server.url, "GET", "/api/dashboard/runs", admin.secret);
    expect(dashboardRuns.status).toBe(200);
    expect(JSON.stringify(dashboardRuns.body)).toContain("alice/vision/r1");
    const table = cli("token", "list");
    expect(table.stdout).toContain("read-only");
    expect(cli("token", "revoke", writer.token.id).code).toBe(0);
    expect((await api(server.url, "GET", "/api/runs", writer.secret)).status).toBe(401);
    const missing = cli("token", "revoke", "no-such-id");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("No token with id");
  });

  it("refuses --no-auth unless bound to loopback, and says so loudly when it is", async () => {
    const refused = runCli(["serve", "--no-auth", "--host", "0.0.0.0", "--port", "0", "--db", db.uri], {
      workspace: dir,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--no-auth is refused on 0.0.0.0");
    const server = await serve("--no-auth");
    expect(server.output()).toContain("AUTHENTICATION IS OFF");
    expect((await api(server.url, "POST", "/api/runs", undefined, { prefix: "a/b/c" })).status).toBe(200);
  });

  it("exits 1 with PORT_IN_USE when the port is taken", async () => {
    const first = await serve();
    const port = new URL(first.url).port;
    const second = runCli(["serve", "--port", port, "--db", db.uri], { workspace: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("[PORT_IN_USE]");
  });

  it("drains an in-flight upload on SIGTERM, refuses new connections, closes the database and exits 0", async () => {
    const { secret } = createToken("--project", "vision");
    const server = await serve();
    const run = (await api(server.url, "POST", "/api/runs", secret, { prefix: "alice/vision/slow" })).body
      .run;
    const url = new URL(`${server.url}/api/runs/${run.id}/files?filename=slow.bin`);
    // A slow upload: 10 chunks of 10 kB, 100 ms apart; SIGTERM arrives after the first chunk.
    const upload = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: "PUT", headers: { authorization: `Bearer ${secret}` } }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      let sent = 0;
      const tick = () => {
        req.write(Buffer.alloc(10_000, sent));
        if (++sent === 10) req.end();
        else setTimeout(tick, 100);
      };
      tick();
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    server.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await fetch(`${server.url}/api/health`).then(
      (response) => response.status,
      () => "connection refused",
    );
    expect(refused).toBe("connection refused");
    const result = await upload;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).file.size).toBe(100_000);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("labrun server stopped.");
    // The database was closed cleanly and holds the upload.
    const again = await serve();
    const files = await api(again.url, "GET", `/api/runs/${run.id}/files`, secret);
    expect(files.body.files.map((f: any) => f.size)).toEqual([100_000]);
  });

  it("keeps every acknowledged batch through a SIGKILL, and a re-sent batch is stored once", async () => {
    const { secret } = createToken("--project", "vision");
    let server = await serve();
    const run = (await api(server.url, "POST", "/api/runs", secret, { prefix: "alice/vision/crash" })).body
      .run;
    const acknowledged = new Set<number>();
    const total = 60;
    let seq = 1;
    let killed = false;
    let resent = 0;
    while (seq <= total) {
      if (seq === 25 && !killed) {
        // Fire the batch and kill the server while it may be in flight: the client cannot know whether it was stored.
        const inFlight = api(
          server.url,
          "POST",
          `/api/runs/${run.id}/batches`,
          secret,
          pointsBatch("client-a", seq, seq * 10, 10),
        ).catch(() => undefined);
        server.child.kill("SIGKILL");
        await server.exited;
        const answer = await inFlight;
        if (answer?.status === 200) acknowledged.add(seq);
        killed = true;
        server = await serve();
        resent++;
        continue; // re-send the same (clientId, seq), as a client does until it gets an answer
      }
      const response = await api(
        server.url,
        "POST",
        `/api/runs/${run.id}/batches`,
        secret,
        pointsBatch("client-a", seq, seq * 10, 10),
      );
      expect(response.status).toBe(200);
      acknowledged.add(seq);
      seq++;
    }
    expect(killed).toBe(true);
    expect(resent).toBe(1);
    expect(acknowledged.size).toBe(total);
    // Re-sending an acknowledged batch again is recognised as a duplicate.
    const duplicate = await api(
      server.url,
      "POST",
      `/api/runs/${run.id}/batches`,
      secret,
      pointsBatch("client-a", 10, 100, 10),
    );
    expect(duplicate.body).toEqual({ duplicate: true });
    const series = await api(server.url, "GET", `/api/runs/${run.id}/metrics/train`, secret);
    expect(series.body.count).toBe(total * 10);
    const steps = series.body.points.map((p: any) => p.fields.step);
    expect(new Set(steps).size).toBe(total * 10);
    expect(steps).toEqual(Array.from({ length: total * 10 }, (_, i) => 10 + i));
  });
});
