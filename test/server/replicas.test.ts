// Several `labrun serve` processes on one PostgreSQL database: live updates reach the SSE subscribers of every
// replica (LISTEN/NOTIFY), batches stay exactly-once across replicas, migrations run once when replicas start
// together, a newer schema is refused, and all of it through nginx.
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../src/store/sql/schema.js";
import { openServerStore } from "../../src/store/open-store.js";
import type { ServerStore } from "../../src/store/store.js";
import { ensureBuilt } from "../helpers.js";
import { api, pointsBatch, serveProcess, testDatabase, type TestDatabase } from "./helpers.js";
import {
  nginxBin,
  SseStream,
  startNginx,
  startReplicas,
  streamedPoints,
  type Nginx,
  type Replica,
  type SseEvent,
} from "./replicas-helpers.js";

const pgUrl = process.env.LABRUN_TEST_PG_URL;
const skip = !pgUrl || !(process.env.LABRUN_TEST_BACKENDS ?? "postgres").includes("postgres");

describe.skipIf(skip)("labrun serve replicas on one PostgreSQL", () => {
  let dir: string;
  let db: TestDatabase;
  let store: ServerStore;
  let admin: string;
  let replicas: Replica[];
  let a: Replica, b: Replica, c: Replica;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "labrun-replicas-"));
    db = await testDatabase("postgres", dir);
    replicas = await startReplicas(db.uri, 3, dir, ["--allowed-hosts", "labrun.lab.test"]);
    [a, b, c] = replicas as [Replica, Replica, Replica];
    store = await openServerStore(db.uri);
    admin = (await store.createToken({ project: "*" })).secret;
  }, 120_000);
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    await store?.close();
    await db?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const newRun = async (via: Replica | Nginx, prefix: string) => {
    const created = await api(via.url, "POST", "/api/runs", admin, { prefix });
    expect(created.status).toBe(200);
    return created.body.run.id as string;
  };

  it("delivers a write through replica A to SSE subscribers of B and C, and to A's own once", async () => {
    const runId = await newRun(a, "alice/vision/live-across");
    const streams = await Promise.all(
      [a, b, c].map((r) => SseStream.open(`${r.url}/api/runs/${runId}/events`, admin)),
    );
    const [onA, onB, onC] = streams as [SseStream, SseStream, SseStream];
    for (const s of streams) await s.waitFor("the first status", (e) => e.some((x) => x.event === "status"));

    // Small: sent inside the notification (a NaN travels as on the wire).
    const small = batchOf("w1", 0, 0, 3);
    small.metrics[0]!.points[1]!.fields.loss = NaN;
    const smallBody = JSON.stringify(small).replace("null", '"NaN"');
    const posted = await fetch(`${a.url}/api/runs/${runId}/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: smallBody,
    });
    expect(posted.status).toBe(200);
    // Big: 2,000 points and 300 long log lines, far over NOTIFY's 8,000 bytes: read back by reference.
    const big = {
      ...batchOf("w1", 1, 3, 2_000),
      logs: Array.from({ length: 300 }, (_, i) => ({
        level: "info",
        message: `line ${i} ${"x".repeat(100)}`,
        timestamp: new Date(1_700_000_000_000 + i).toISOString(),
      })),
    };
    expect((await api(a.url, "POST", `/api/runs/${runId}/batches`, admin, big)).status).toBe(200);
    // A status change through B.
    const patched = await api(b.url, "PATCH", `/api/runs/${runId}`, admin, { description: "from B" });
    expect(patched.status).toBe(200);

    const complete = (events: readonly SseEvent[]) =>
      streamedPoints(events).length >= 2_003 &&
      events.filter((e) => e.event === "logs").flatMap((e) => e.data.logs).length >= 300 &&
      events.some((e) => e.event === "status" && e.data.run.description === "from B");
    for (const s of streams) await s.waitFor("every write", complete);
    await sleep(500); // a second copy, if any, would arrive now
    for (const s of streams) {
      const points = streamedPoints(s.events);
      expect(points.map((p) => p.fields.step)).toEqual(Array.from({ length: 2_003 }, (_, i) => i));
      expect(points[1].fields.loss).toBe("NaN");
      const logs = s.events.filter((e) => e.event === "logs").flatMap((e) => e.data.logs);
      expect(logs.map((l: any) => l.message)).toEqual(big.logs.map((l) => l.message));
      expect(
        s.events.filter((e) => e.event === "status" && e.data.run.description === "from B"),
      ).toHaveLength(1);
    }
    expect(onA.events.length).toBe(onC.events.length);
    expect(onB.events.length).toBe(onC.events.length);
    for (const s of streams) s.close();
  });

  it("stores a batch once when two replicas receive it at the same time", async () => {
    const runId = await newRun(a, "alice/vision/concurrent-dup");
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, seq) => {
        const batch = batchOf("twice", seq, seq * 50, 50);
        const [x, y, z] = await Promise.all(
          [a, b, c].map((r) => api(r.url, "POST", `/api/runs/${runId}/batches`, admin, batch)),
        );
        return [x!, y!, z!];
      }),
    );
    for (const trio of answers) {
      expect(trio.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(trio.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    }
    const series = await store.readMetrics(runId, "train");
    expect(series.count).toBe(1_000);
    // The 20 batches went in concurrently, in any order: each of their points once.
    expect(series.points.map((p) => p.fields.step as number).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 1_000 }, (_, i) => i),
    );
  });

  it("stores once a batch retried through another replica after the first died mid-request", async () => {
    const [doomed] = await startReplicas(db.uri, 1, dir);
    const runId = await newRun(a, "alice/vision/died-mid-request");
    await api(a.url, "POST", `/api/runs/${runId}/batches`, admin, batchOf("r", 0, 0, 10));
    // Hold the stream's row: the doomed replica's transaction records the batch id, then waits on it.
    const locker = new pg.Client({ connectionString: db.uri });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT id FROM metric_streams WHERE run_id = $1 FOR UPDATE", [runId]);
      const batch = batchOf("r", 1, 10, 10);
      const first = api(doomed!.url, "POST", `/api/runs/${runId}/batches`, admin, batch).catch((e) => e);
      await waitForLockWaiters(locker, 1);
      doomed!.child.kill("SIGKILL");
      await doomed!.exited;
      expect(await first).toBeInstanceOf(Error); // no answer: the client will retry
      const retried = api(b.url, "POST", `/api/runs/${runId}/batches`, admin, batch);
      await waitForLockWaiters(locker, 2); // the dead replica's transaction, still open, and the retry
      await locker.query("ROLLBACK");
      const answer = await retried;
      expect(answer).toEqual({ status: 200, body: { duplicate: false } });
      const again = await api(c.url, "POST", `/api/runs/${runId}/batches`, admin, batch);
      expect(again.body).toEqual({ duplicate: true });
    } finally {
      await locker.end();
    }
    const series = await store.readMetrics(runId, "train");
    expect(series.points.map((p) => p.fields.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("runs the migrations once when three replicas start together on an empty database", async () => {
    const empty = await testDatabase("postgres", dir);
    try {
      const three = await startReplicas(empty.uri, 3, dir);
      try {
        for (const r of three) expect((await api(r.url, "GET", "/api/health", undefined)).status).toBe(200);
        const client = new pg.Client({ connectionString: empty.uri });
        await client.connect();
        const { rows } = await client.query(
          "SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version",
        );
        await client.end();
        expect(rows).toEqual(migrations.map((m) => ({ version: m.version, n: 1 })));
      } finally {
        await Promise.all(three.map((r) => r.stop()));
      }
    } finally {
      await empty.cleanup();
    }
  });

  it("refuses to start on a database with a newer schema, while the running replicas go on", async () => {
    const newer = await testDatabase("postgres", dir);
    const [old] = await startReplicas(newer.uri, 1, dir);
    try {
      const client = new pg.Client({ connectionString: newer.uri });
      await client.connect();
      await client.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from a newer labrun', now()::text)",
      );
      await client.end();
      const started = serveProcess(["--db", newer.uri, "--workspace", join(dir, "ws-newer")]);
      const error = (await started.then(
        () => new Error("started"),
        (e: Error) => e,
      )) as Error;
      expect(error.message).toMatch(/exited \(1\)/);
      expect(error.message).toMatch(
        /schema version 999, newer than this labrun knows \(\d+\)\. Upgrade labrun/,
      );
      expect(error.message).not.toMatch(/\n\s+at /); // a message, not a stack
      expect((await api(old!.url, "GET", "/api/health", undefined)).status).toBe(200);
    } finally {
      await old!.stop();
      await newer.cleanup();
    }
  });

  describe.skipIf(!nginxBin)("behind nginx", () => {
    let nginx: Nginx;
    beforeAll(async () => {
      nginx = await startNginx({ upstreams: replicas.map((r) => r.port), host: "labrun.lab.test" });
    });
    afterAll(async () => {
      await nginx?.stop();
    });

    it("round-robins requests; a point written through A reaches SSE on C directly and through nginx", async () => {
      const runId = await newRun(nginx, "alice/vision/through-nginx");
      const onC = await SseStream.open(`${c.url}/api/runs/${runId}/events`, admin);
      const viaNginx = await SseStream.open(`${nginx.url}/api/runs/${runId}/events`, admin);
      for (const s of [onC, viaNginx]) await s.waitFor("status", (e) => e.some((x) => x.event === "status"));
      expect(
        (await api(a.url, "POST", `/api/runs/${runId}/batches`, admin, batchOf("n", 0, 0, 5))).status,
      ).toBe(200);
      // Writes through nginx land on every replica in turn; each is seen once on both streams.
      for (let seq = 1; seq <= 6; seq++) {
        const sent = await api(
          nginx.url,
          "POST",
          `/api/runs/${runId}/batches`,
          admin,
          batchOf("n", seq, seq * 5, 5),
        );
        expect(sent).toEqual({ status: 200, body: { duplicate: false } });
      }
      for (const s of [onC, viaNginx]) {
        await s.waitFor("35 points", (e) => streamedPoints(e).length >= 35);
        await sleep(300);
        expect(streamedPoints(s.events).map((p) => p.fields.step)).toEqual(
          Array.from({ length: 35 }, (_, i) => i),
        );
      }
      onC.close();
      viaNginx.close();
    });

    it("passes the Host and Origin checks behind the proxy (--allowed-hosts names the proxy's host)", async () => {
      // nginx sends Host: labrun.lab.test, which the replicas were told to answer (--allowed-hosts).
      const runId = await newRun(nginx, "alice/vision/proxied-host");
      // A browser page of the proxy's own origin may write…
      const same = await fetch(`${nginx.url}/api/runs/${runId}/batches`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${admin}`,
          "content-type": "application/json",
          origin: nginx.url,
          "sec-fetch-site": "same-origin",
        },
        body: JSON.stringify(batchOf("o", 0, 0, 1)),
      });
      expect(same.status).toBe(200);
      // …a page of another site may not, and a name the replicas do not know is refused.
      const cross = await fetch(`${nginx.url}/api/runs/${runId}/batches`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${admin}`,
          "content-type": "application/json",
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
        },
        body: JSON.stringify(batchOf("o", 1, 1, 1)),
      });
      expect(cross.status).toBe(403);
      expect(((await cross.json()) as any).error.code).toBe("CROSS_ORIGIN");
      expect(await statusWithHost(a.port, "evil.example")).toBe(403);
      expect(await statusWithHost(a.port, "labrun.lab.test")).toBe(200);
    });
  });
});

/** `pointsBatch` with batch numbers from 0 (sent as seq 1, 2, …: seq starts at 1). */
const batchOf = (clientId: string, n: number, from: number, count: number) =>
  pointsBatch(clientId, n + 1, from, count);

/** The status of GET /api/health sent with this Host header. */
function statusWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port, path: "/api/health", headers: { host } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.once("error", reject);
    request.end();
  });
}

/** Waits until `n` sessions wait for a lock (the other transactions blocked behind `locker`). */
async function waitForLockWaiters(locker: pg.Client, n: number): Promise<void> {
  for (const deadline = Date.now() + 15_000; ;) {
    const { rows } = await locker.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    if (rows[0].n >= n) return;
    if (Date.now() > deadline) throw new Error("no session waits for the lock");
    await sleep(50);
  }
}
