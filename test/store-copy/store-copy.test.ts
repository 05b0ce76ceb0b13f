import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, startCli, waitFor } from "../helpers.js";
import { api, pointsBatch, serveProcess, testDatabase, type TestDatabase } from "../server/helpers.js";
import { fillStore } from "./fill-store.js";

const hasPostgres = Boolean(process.env.LABRUN_TEST_PG_URL);

/** Row counts of a server database (PostgreSQL), to see that a second copy adds nothing. */
async function countRows(url: string): Promise<Record<string, number> & { runs: number; points: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of [
      "runs",
      "run_params",
      "run_batches",
      "metric_streams",
      "metric_chunks",
      "run_logs",
      "run_files",
      "auth_tokens",
    ])
      counts[table] = Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
    counts.points = Number(
      (await client.query(`SELECT COALESCE(SUM(count), 0) AS n FROM metric_chunks`)).rows[0].n,
    );
    return counts as Record<string, number> & { runs: number; points: number };
  } finally {
    await client.end();
  }
}

describe.skipIf(!hasPostgres)("labrun store copy: a SQLite server into PostgreSQL and a files folder", () => {
  let dir: string;
  let target: TestDatabase;
  let stops: (() => Promise<unknown>)[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "labrun-store-copy-"));
    target = await testDatabase("postgres", dir);
    stops = [];
  });
  afterEach(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await target.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli(args, { workspace: dir });
  const serve = async (db: string, files: string) => {
    const server = await serveProcess(["--db", db, "--files", files], { LABRUN_HOME: dir });
    const stop = async () => {
      server.child.kill("SIGTERM");
      await server.exited;
    };
    stops.push(stop);
    return { ...server, stop };
  };
  const sourceUri = () => `sqlite:${join(dir, "server", "labrun.db")}`;
  const copy = (...extra: string[]) =>
    cli(
      "store",
      "copy",
      "--from",
      sourceUri(),
      "--to",
      target.uri,
      "--files-to",
      join(dir, "pg-files"),
      ...extra,
    );

  /** What a server answers about a run: the run, its params, streams, points, logs, files and bytes. */
  const snapshot = async (url: string, token: string, runId: string) => {
    const get = async (path: string) => {
      const answer = await api(url, "GET", path, token);
      expect(answer.status, path).toBe(200);
      return answer.body;
    };
    const files = (await get(`/api/runs/${runId}/files`)).files as { id: string }[];
    const bytes = [];
    for (const file of files) {
      const response = await fetch(`${url}/api/runs/${runId}/files/${file.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      bytes.push(Buffer.from(await response.arrayBuffer()).toString("base64"));
    }
    return {
      run: (await get(`/api/runs/${runId}`)).run,
      params: await get(`/api/runs/${runId}/params`),
      streams: await get(`/api/runs/${runId}/metrics`),
      train: await get(`/api/runs/${runId}/metrics/train`),
      logs: await get(`/api/runs/${runId}/logs?limit=10000`),
      files,
      bytes,
      search: (await get(`/api/runs?prefix=alice&sort=prefix`)).runs,
    };
  };

  it("copies what a real server holds; a server on the copy answers the same with the source's token; twice copies nothing twice", async () => {
    const created = cli("token", "create", "--project", "*", "--description", "admin", "--json");
    expect(created.code, created.stderr).toBe(0);
    const token = (JSON.parse(created.stdout) as { secret: string }).secret;
    expect(cli("token", "create", "--project", "vision", "--read-only").code).toBe(0);
    const source = await serve(sourceUri(), join(dir, "server", "files"));
    const runIds: string[] = [];
    for (const name of ["r1", "r2", "r3"]) {
      const run = await api(source.url, "POST", "/api/runs", token, {
        prefix: `alice/vision/exp/${name}`,
        description: `run ${name}`,
        tags: ["baseline", name],
      });
      expect(run.status).toBe(200);
      const id = run.body.run.id as string;
      runIds.push(id);
      for (let seq = 0; seq < 3; seq++) {
        const batch = pointsBatch("writer", seq + 1, seq * 1500, 1500);
        const stored = await api(source.url, "POST", `/api/runs/${id}/batches`, token, {
          ...batch,
          params: { lr: 0.1, layers: [1, 2, 3], nested: { nan: "NaN" } },
          logs: [{ level: "info", message: `epoch ${seq} done`, timestamp: new Date().toISOString() }],
        });
        expect(stored.status, JSON.stringify(stored.body)).toBe(200);
      }
      const upload = await fetch(`${source.url}/api/runs/${id}/files?prefix=models&filename=model.bin`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
        body: Buffer.alloc(200_000, name),
      });
      expect(upload.status).toBe(200);
    }
    expect(
      (await api(source.url, "PATCH", `/api/runs/${runIds[0]}`, token, { status: { status: "COMPLETED" } }))
        .status,
    ).toBe(200);
    expect((await api(source.url, "DELETE", `/api/runs/${runIds[2]}`, token)).status).toBe(200);
    const before = [];
    for (const id of runIds) before.push(await snapshot(source.url, token, id));
    await source.stop();

    const first = copy("--json");
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.copy).toMatchObject({ runsDone: 3, points: 3 * 4500, logs: 9, files: 3, tokens: 2 });
    expect(report.blobsCopied).toBe(3);
    expect(report.comparison.differences).toEqual([]);
    expect(report.comparison.target).toEqual(report.comparison.source);
    expect(report.comparison.source).toMatchObject({ runs: 3, points: 13_500, logs: 9, files: 3, tokens: 2 });
    expect(first.stderr).toMatch(/store copy: 3\/3 runs, 13,500 points/);

    const target1 = await countRows(target.uri);
    const again = copy();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("copied 0 run(s) (3 already in the target), 0 token(s), 0 file(s)' bytes");
    expect(again.stdout).toContain("the target holds an exact copy.");
    expect(await countRows(target.uri)).toEqual(target1);

    const copied = await serve(target.uri, join(dir, "pg-files"));
    for (const [i, id] of runIds.entries()) expect(await snapshot(copied.url, token, id)).toEqual(before[i]);
    // The copy goes on as a server: new writes land after the copied ones.
    const more = await api(
      copied.url,
      "POST",
      `/api/runs/${runIds[1]}/batches`,
      token,
      pointsBatch("writer", 4, 4500, 10),
    );
    expect(more.status).toBe(200);
    const train = await api(copied.url, "GET", `/api/runs/${runIds[1]}/metrics/train?from=4500`, token);
    expect(train.body.points.map((p: { index: number }) => p.index)).toEqual(
      Array.from({ length: 10 }, (_, i) => 4500 + i),
    );
    await copied.stop();

    // That run now differs in the target: refused, nothing written, until --force puts the source's back.
    const refused = copy();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[STORE_COPY_CONFLICT]");
    expect(refused.stderr).toContain(runIds[1]);
    expect(refused.stderr).toContain("--force");
    expect(refused.stderr).not.toContain("    at ");
    expect((await countRows(target.uri)).points).toBe(target1.points! + 10);
    const forced = copy("--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("copied 1 run(s) (2 already in the target)");
    expect(await countRows(target.uri)).toEqual(target1);

    // And back: PostgreSQL (read through a REPEATABLE READ snapshot) into a new SQLite file.
    const back = cli(
      ...["store", "copy", "--from", target.uri, "--to", `sqlite:${join(dir, "back.db")}`],
      ...["--files-from", join(dir, "pg-files"), "--files-to", join(dir, "back-files"), "--json"],
    );
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout).comparison).toMatchObject({
      differences: [],
      target: report.comparison.source,
    });
  });

  it("killed (SIGKILL) in the middle, the next copy finishes an exact copy: nothing missing, nothing twice", async () => {
    const filled = await fillStore(sourceUri(), join(dir, "server", "files"), {
      runs: 300,
      points: 4000,
      logs: 50,
    });
    const running = startCli(
      ["store", "copy", "--from", sourceUri(), "--to", target.uri, "--files-to", join(dir, "pg-files")],
      {
        workspace: dir,
      },
    );
    await waitFor(
      "the first progress line",
      () => running.output().stderr.includes("store copy: 1/300 runs"),
      60_000,
    );
    running.child.kill("SIGKILL");
    await running.exited;
    const partial = await countRows(target.uri);
    expect(partial.runs).toBeGreaterThan(0);
    expect(partial.runs).toBeLessThan(300);
    // Whole runs only: every run in the target has all its points.
    expect(partial.points).toBe(partial.runs * 4000);

    const rerun = copy("--json");
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout);
    expect(report.copy.runsDone).toBe(300 - partial.runs);
    expect(report.copy.plan.alreadyCopied).toBe(partial.runs);
    expect(report.comparison.differences).toEqual([]);
    expect(report.comparison.source).toMatchObject({
      runs: 300,
      points: filled.points,
      logs: filled.logs,
      files: filled.files,
    });
    const final = await countRows(target.uri);
    expect(final).toMatchObject({
      runs: 300,
      points: filled.points,
      run_logs: filled.logs,
      run_files: filled.files,
    });
  });
});

describe("labrun store copy: refusals", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "labrun-store-copy-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => runCli(args, { workspace: dir });

  it("refuses a missing source (does not create an empty one) and a source with files but nowhere to put them", async () => {
    const missing = cli(
      "store",
      "copy",
      "--from",
      `sqlite:${join(dir, "nope.db")}`,
      "--to",
      `sqlite:${join(dir, "t.db")}`,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("[USAGE] No SQLite database at");
    await fillStore(`sqlite:${join(dir, "s.db")}`, join(dir, "blobs"), { runs: 2, points: 10, logs: 1 });
    const noFiles = cli(
      "store",
      "copy",
      "--from",
      `sqlite:${join(dir, "s.db")}`,
      "--to",
      `sqlite:${join(dir, "t.db")}`,
    );
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toContain("--files-to");
    const empty = cli(
      "store",
      "copy",
      "--from",
      `sqlite:${join(dir, "t.db")}`,
      "--to",
      `sqlite:${join(dir, "u.db")}`,
      "--json",
    );
    expect(JSON.parse(empty.stdout).comparison.source.runs).toBe(0); // nothing was written to t.db
    const ok = cli(
      "store",
      "copy",
      "--from",
      `sqlite:${join(dir, "s.db")}`,
      "--to",
      `sqlite:${join(dir, "t.db")}`,
      "--files-from",
      join(dir, "blobs"),
      "--files-to",
      join(dir, "t-files"),
      "--json",
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).comparison.target).toMatchObject({ runs: 2, points: 20, files: 1 });
  });
});
