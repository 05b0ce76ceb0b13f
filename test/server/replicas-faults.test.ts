// Faults of a replicated team server: PostgreSQL restarted under load (503 with a code, then recovery by
// itself, live updates included), and one of three replicas behind nginx SIGKILLed during a 100-writer load
// (every acknowledged point stored exactly once, writers carry on through the others).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openServerStore } from "../../src/store/open-store.js";
import type { ServerStore } from "../../src/store/store.js";
import { ensureBuilt } from "../helpers.js";
import { postgresBinDir, startTestPostgres, type TestPostgres } from "../store/postgres-setup.js";
import { api, testDatabase } from "./helpers.js";
import {
  failureCounts,
  nginxBin,
  runWriter,
  SseStream,
  startNginx,
  startReplicas,
  streamedPoints,
  type Replica,
} from "./replicas-helpers.js";

const wanted = (process.env.LABRUN_TEST_BACKENDS ?? "postgres").includes("postgres");
const havePostgres = (() => {
  try {
    return wanted && postgresBinDir() !== "";
  } catch {
    return false;
  }
})();

/** Each run's stored steps are exactly 0 … acked-1: nothing acknowledged lost, nothing twice. */
async function expectExactlyOnce(store: ServerStore, tallies: readonly { runId: string; acked: number }[]) {
  for (const { runId, acked } of tallies) {
    const series = await store.readMetrics(runId, "train", { fields: ["step"] });
    expect(series.count, runId).toBe(acked);
    const steps = series.points.map((p) => p.fields.step);
    expect(steps, runId).toEqual(Array.from({ length: acked }, (_, i) => i));
  }
}

describe.skipIf(!havePostgres)("PostgreSQL restarted under load", () => {
  let dir: string;
  let server: TestPostgres;
  let db: string;
  let replicas: Replica[] = [];
  let store: ServerStore;
  let admin: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "labrun-pg-restart-"));
    server = await startTestPostgres({ fast: true });
    db = await server.createDatabase();
    store = await openServerStore(db);
    admin = (await store.createToken({ project: "*" })).secret;
    replicas = await startReplicas(db, 2, dir);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await store?.close().catch(() => undefined);
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers 503 STORE_UNAVAILABLE while it is down, then recovers by itself (pool, LISTEN, SSE)", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const runIds: string[] = [];
    for (let i = 0; i < 6; i++)
      runIds.push(
        (await api(a.url, "POST", "/api/runs", admin, { prefix: `alice/vision/pg-${i}` })).body.run.id,
      );
    const watched = runIds[0]!;
    const before = await SseStream.open(`${b.url}/api/runs/${watched}/events`, admin);
    await before.waitFor("status", (e) => e.some((x) => x.event === "status"));

    let stop = false;
    const writers = runIds.map((runId, i) =>
      runWriter({ url: (i % 2 ? b : a).url, token: admin, runId, points: 20, stop: () => stop, pauseMs: 20 }),
    );
    await sleep(700);
    const restarted = server.restart(1_500);
    // While nothing listens on PostgreSQL's port, a read gets 503 with a stable code and Retry-After.
    await sleep(600);
    const down = await fetch(`${a.url}/api/runs/${watched}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    expect(((await down.json()) as any).error.code).toBe("STORE_UNAVAILABLE");
    await restarted;
    const back = performance.now();
    // The open stream is ended once the replica listens again (events of the gap were lost): the client
    // reconnects, and the new stream gets writes made through the other replica.
    await Promise.race([
      before.ended,
      sleep(15_000).then(() => {
        throw new Error("the stream opened before the restart was not ended");
      }),
    ]);
    const after = await SseStream.open(`${b.url}/api/runs/${watched}/events`, admin);
    await after.waitFor("status", (e) => e.some((x) => x.event === "status"));
    await sleep(1_500);
    stop = true;
    const tallies = await Promise.all(writers);
    expect(after.events.some((e) => e.event === "metrics")).toBe(true);
    after.close();

    const failures = failureCounts(tallies);
    expect(Object.keys(failures).some((k) => k.startsWith("503"))).toBe(true);
    for (const kind of Object.keys(failures)) expect(kind).toMatch(/^(503 (STORE_UNAVAILABLE|)|ECONNRESET)$/);
    // Every writer got acknowledgements again after the restart.
    for (const t of tallies) expect(t.ackTimes.some((at) => at > back)).toBe(true);
    await expectExactlyOnce(store, tallies);
  });
});

describe.skipIf(!process.env.LABRUN_TEST_PG_URL || !wanted || !nginxBin)(
  "kill -9 of one replica behind nginx during a 100-writer load",
  () => {
    let dir: string;
    let db: Awaited<ReturnType<typeof testDatabase>>;
    let replicas: Replica[] = [];
    let store: ServerStore;

    beforeEach(async () => {
      ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), "labrun-kill9-"));
      db = await testDatabase("postgres", dir);
      store = await openServerStore(db.uri);
      replicas = await startReplicas(db.uri, 3, dir);
    }, 120_000);
    afterEach(async () => {
      await Promise.all(replicas.map((r) => r.stop()));
      await store?.close();
      await db?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.each([
      ["nginx re-sends the batches the dead replica left unanswered (non_idempotent)", true],
      ["the writers re-send them through nginx to the other replicas", false],
    ])("loses no acknowledged point, stores none twice, and the writers carry on: %s", async (_, resend) => {
      const admin = (await store.createToken({ project: "*" })).secret;
      const nginx = await startNginx({ upstreams: replicas.map((r) => r.port), resendBatches: resend });
      try {
        const runIds = await Promise.all(
          Array.from(
            { length: 100 },
            async (_, i) =>
              (await api(nginx.url, "POST", "/api/runs", admin, { prefix: `load/vision/w${i}` })).body.run
                .id as string,
          ),
        );
        const watch = await SseStream.open(`${replicas[2]!.url}/api/runs/${runIds[0]}/events`, admin);
        let stop = false;
        const writers = runIds.map((runId) =>
          runWriter({ url: nginx.url, token: admin, runId, points: 20, stop: () => stop }),
        );
        await sleep(1_500);
        replicas[1]!.child.kill("SIGKILL");
        const killedAt = performance.now();
        await sleep(2_500);
        stop = true;
        const tallies = await Promise.all(writers);
        const acked = tallies.reduce((n, t) => n + t.acked, 0);
        expect(acked).toBeGreaterThan(0);
        // Without nginx's re-sending, the writers met the dead replica (502) and retried.
        if (!resend) expect(Object.keys(failureCounts(tallies))).toContain("502");
        for (const t of tallies) expect(t.ackTimes.some((at) => at > killedAt)).toBe(true);
        await expectExactlyOnce(store, tallies);
        // The live stream on a surviving replica saw the watched run's points once each.
        await watch.waitFor("every point", (e) => streamedPoints(e).length >= tallies[0]!.acked);
        expect(streamedPoints(watch.events).map((p) => p.fields.step)).toEqual(
          Array.from({ length: tallies[0]!.acked }, (_, i) => i),
        );
        watch.close();
      } finally {
        await nginx.stop();
      }
    });
  },
);
