import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../helpers.js";
import { api, serveProcess, serverBackends, testDatabase, type TestDatabase } from "./helpers.js";

// The real ml-dash 0.11 client from PyPI (.venv-compat/, made by scripts/ensure-ml-dash-venv.mjs), unchanged,
// against a real `labrun serve`: its token is a labrun token in the file `ml-dash login` writes.
const python = join(repoRoot, ".venv-compat", "bin", "python");
const guide = join(repoRoot, "test/server/fixtures/ml_dash_remote.py");

interface PyResult {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a Python file with ml-dash, the token in `tokens.json` of a fresh ML_DASH_CONFIG_DIR. */
function runPython(
  dir: string,
  file: string,
  token: string | undefined,
  env: Record<string, string>,
): PyResult {
  const config = mkdtempSync(join(dir, "dash-config-"));
  if (token !== undefined)
    writeFileSync(join(config, "tokens.json"), JSON.stringify({ "ml-dash-token": token }));
  const result = spawnSync(python, [file], {
    cwd: dir,
    env: { ...process.env, ML_DASH_CONFIG_DIR: config, ML_DASH_FLUSH_INTERVAL: "0.2", WORK: dir, ...env },
    encoding: "utf8",
    timeout: 180_000,
  });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe.each(serverBackends())("the real ml-dash client (0.11) on labrun serve (%s)", (backend) => {
  let dir: string;
  let db: TestDatabase;
  let server: Awaited<ReturnType<typeof serveProcess>>;
  const tokens: Record<"admin" | "vision" | "visionRead" | "other", string> = {} as never;

  beforeAll(async () => {
    const ensure = spawnSync(process.execPath, [join(repoRoot, "scripts/ensure-ml-dash-venv.mjs")], {
      encoding: "utf8",
    });
    if (ensure.status !== 0 || !existsSync(python))
      throw new Error(`scripts/ensure-ml-dash-venv.mjs failed:\n${ensure.stdout}\n${ensure.stderr}`);
    dir = mkdtempSync(join(tmpdir(), "labrun-ml-dash-"));
    db = await testDatabase(backend, dir);
    const token = (...args: string[]) =>
      JSON.parse(runCli(["token", "create", ...args, "--db", db.uri, "--json"], { workspace: dir }).stdout)
        .secret as string;
    tokens.admin = token("--project", "*");
    tokens.vision = token("--project", "vision");
    tokens.visionRead = token("--project", "vision", "--read-only");
    tokens.other = token("--project", "other");
    server = await serveProcess(["--db", db.uri, "--files", join(dir, "files")], { LABRUN_HOME: dir });
  }, 300_000);
  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    await db?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the guide's calls (fixtures/ml_dash_remote.py) under `prefix`; returns what ml-dash read back. */
  function runGuide(prefix: string, mode: "remote" | "hybrid", env: Record<string, string> = {}): any {
    const work = join(dir, prefix.replaceAll("/", "_"));
    mkdirSync(work, { recursive: true });
    const out = join(work, "out.json");
    const result = runPython(work, guide, tokens.vision, {
      DASH_URL: server.url,
      MODE: mode,
      DASH_ROOT: join(work, "dash"),
      PREFIX: prefix,
      OUT: out,
      ...env,
    });
    if (result.code !== 0) throw new Error(`ml_dash_remote.py failed (${result.code}):\n${result.output}`);
    return JSON.parse(readFileSync(out, "utf8"));
  }

  const get = async (path: string) => {
    const response = await api(server.url, "GET", path, tokens.admin);
    expect(response.status, path).toBe(200);
    return response.body;
  };

  /** What labrun's own API holds for the guide's runs under `prefix`. */
  async function checkStored(prefix: string, got: any) {
    const { run } = await get(`/api/runs/by-prefix?prefix=${encodeURIComponent(prefix)}`);
    expect(run).toMatchObject({
      id: got.experiment_id,
      status: "COMPLETED",
      description: "guide run",
      tags: ["baseline"],
      bindrs: ["gpu-1"],
    });
    expect((await get(`/api/runs/${run.id}/params`)).params).toEqual({
      lr: 0.001,
      batch_size: 32,
      "model.name": "resnet",
      "model.depth": 50,
    });
    const streams = (await get(`/api/runs/${run.id}/metrics`)).streams;
    expect(Object.fromEntries(streams.map((s: any) => [s.stream, s.count]))).toEqual({
      None: 1,
      eval: 2,
      train: 6,
      "track.robot_pos": 2,
    });
    const train = (await get(`/api/runs/${run.id}/metrics/train`)).points;
    expect(train.map((p: any) => p.fields)).toEqual([
      { loss: 1, epoch: 0 },
      { loss: 0.5, epoch: 1 },
      { loss: 1 / 3, epoch: 2 },
      { loss: 0.25, epoch: 3 },
      { loss: 0.2, epoch: 4 },
      { loss: 0.1, epoch: 5 },
    ]);
    const logs = (await get(`/api/runs/${run.id}/logs`)).logs;
    expect(logs.map((l: any) => [l.level, l.message])).toEqual([
      ["info", "Training started"],
      ["warn", "careful"],
      ["info", "Resuming from checkpoint"],
    ]);
    expect(logs[1].metadata).toEqual({ epoch: 0 });
    const files = (await get(`/api/runs/${run.id}/files`)).files;
    expect(files.map((f: any) => [f.prefix, f.filename]).sort()).toEqual([
      ["configs", "config.json"],
      ["models", "model.pth"],
    ]);
    // The status lifecycle, the decorator and the sweep: each an ordinary labrun run.
    const status = async (p: string) =>
      (await get(`/api/runs/by-prefix?prefix=${encodeURIComponent(p)}`)).run.status;
    expect(await status(`${prefix}-failed`)).toBe("FAILED");
    expect(await status(`${prefix}-cancelled`)).toBe("CANCELLED");
    expect(await status(`${prefix}-direct`)).toBe("COMPLETED");
    expect(await status(`${prefix}-decorated`)).toBe("COMPLETED");
    const sweep = prefix.slice(0, prefix.lastIndexOf("/")) + "/sweep";
    const jobs = (await get(`/api/runs?prefix=${encodeURIComponent(sweep)}&sort=prefix&order=asc`)).runs;
    expect(jobs.map((j: any) => [j.name, j.status])).toEqual([
      ["job_000", "COMPLETED"],
      ["job_001", "COMPLETED"],
      ["job_002", "COMPLETED"],
    ]);
    expect((await get(`/api/runs/${jobs[1].id}/params`)).params).toEqual({ lr: 0.01 });
    // The dashboard's API (the web dashboard's read path) sees the same run.
    const shown = (await get(`/api/dashboard/runs/${run.id}`)).run;
    expect(shown).toMatchObject({ prefix, status: "COMPLETED" });
    return run;
  }

  /** What ml-dash's own reader returned (the same for every mode). */
  function checkRead(got: any, mode: string) {
    expect(got.reopened_id).toBe(got.experiment_id);
    expect(got.params).toEqual({ lr: 0.001, batch_size: 32, "model.name": "resnet", "model.depth": 50 });
    expect(got.files).toEqual([
      ["configs/config.json", "config.json", 17],
      ["models/model.pth", "model.pth", 14 + mode.length - 6],
    ]);
    expect(got.download).toBe(`weights-${mode}`);
    expect(got.track.entries).toEqual([
      { timestamp: 1.5, x: 1, y: 2 },
      { timestamp: 2.5, x: 1.5, y: 2.5 },
    ]);
    expect(got.metrics_list).toEqual(["None", "eval", "train"]);
    expect(got.train_rows).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
      [3, 0.25],
      [4, 0.2],
      [5, 0.1],
    ]);
    // loss=1.0 (epoch 0) comes back as a Python float, not the int 1; epoch stays an int.
    expect(got.train_row_types).toEqual([["int", "float"]]);
    expect(got.decorator).toBe("Training complete!");
  }

  it("remote mode: every call of the experiment guide, read back by ml-dash and by labrun", async () => {
    const prefix = "alice/vision/remote/guide";
    const got = runGuide(prefix, "remote");
    checkRead(got, "remote");
    expect(got.train_stats).toMatchObject({ name: "train", totalDataPoints: 6 });
    await checkStored(prefix, got);
  }, 300_000);

  it("remote mode without buffering: single appends (…/metrics/:name/append), a prefix 4 folders deep", async () => {
    // Four folders deep: deeper than the project tree ml-dash queries before an upload (it falls back to ROOT).
    const prefix = "alice/vision/unbuffered/a/b/c/guide";
    const got = runGuide(prefix, "remote", { ML_DASH_BUFFER_ENABLED: "false" });
    checkRead(got, "remote");
    await checkStored(prefix, got);
  }, 300_000);

  it("hybrid mode: the server and the local root both get the run; labrun's CLI reads the local one", async () => {
    const prefix = "alice/vision/hybrid/guide";
    const got = runGuide(prefix, "hybrid");
    checkRead(got, "hybrid");
    expect(got.local_train).toEqual([1, 0.5, 1 / 3, 0.25, 0.2, 0.1]);
    await checkStored(prefix, got);
    const root = join(dir, prefix.replaceAll("/", "_"), "dash");
    const shown = runCli(["runs", "show", prefix, "--root", root, "--json"], { workspace: dir });
    expect(shown.code, shown.stderr).toBe(0);
    const local = JSON.parse(shown.stdout);
    expect(local.params).toMatchObject({ lr: 0.001, batch_size: 32 });
    expect(local.metrics.find((m: any) => m.name === "train" || m.stream === "train")).toBeDefined();
    // `labrun sync` of the hybrid root to the same server sends only what the server lacks: nothing.
    const synced = runCli(
      ["sync", "--root", root, "--url", server.url, "--token", tokens.admin, "--no-buffer"],
      {
        workspace: dir,
      },
    );
    expect(synced.code, synced.stderr + synced.stdout).toBe(0);
    expect(synced.stdout).toContain("Synced 8 run(s)");
    expect(synced.stdout).toContain(`${prefix}: up to date`);
    expect(synced.stdout).not.toMatch(/sent|uploaded/);
    await checkStored(prefix, got);
  }, 300_000);

  it("RemoteClient's listing helpers, log query and single track append work on the same runs", () => {
    const result = runPython(dir, join(repoRoot, "test/server/fixtures/ml_dash_lists.py"), undefined, {
      DASH_URL: server.url,
      TOKEN: tokens.vision,
    });
    expect(result.code, result.output).toBe(0);
    const got = JSON.parse(result.output.split("\n").find((line) => line.startsWith("{"))!);
    // The remote, unbuffered and hybrid guides each made 5 runs (guide, -failed, -cancelled, -direct,
    // -decorated) and 3 sweep jobs, all in project vision.
    expect(got.projects).toEqual([["vision", 24]]);
    expect(got.completed).toBe(18);
    expect(got.failed).toEqual([
      "alice/vision/hybrid/guide-failed",
      "alice/vision/remote/guide-failed",
      "alice/vision/unbuffered/a/b/c/guide-failed",
    ]);
    expect(got.search).toEqual([
      "job_000",
      "job_000",
      "job_000",
      "job_001",
      "job_001",
      "job_001",
      "job_002",
      "job_002",
      "job_002",
    ]);
    expect(got.one).toEqual({ name: "job_001", params: { lr: 0.01 }, metrics: ["train"] });
    expect(got.by_path).toEqual(["guide", "COMPLETED", "alice"]);
    expect(got.logs).toEqual([["warn", "careful", { epoch: 0 }]]);
    expect(got.tracks).toEqual([["robot/pos", 3]]);
    expect(got.track_jsonl).toEqual([
      { timestamp: 2.5, x: 1.5, y: 2.5 },
      { timestamp: 3.5, x: 2, y: 3 },
    ]);
  }, 120_000);

  it("a wrong token: the client stops on the server's 401; none: ml-dash's own 'Not authenticated'", () => {
    const script = join(dir, "auth.py");
    writeFileSync(
      script,
      [
        "import os",
        "from ml_dash import Experiment",
        "with Experiment(prefix=os.environ['PREFIX'], dash_url=os.environ['DASH_URL'], dash_root=None).run as exp:",
        "    exp.log('never stored')",
      ].join("\n"),
    );
    const env = { DASH_URL: server.url, PREFIX: "alice/vision/auth/denied" };
    const wrong = runPython(dir, script, "lrt_not-a-token", env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toContain("401 Unauthorized");
    const none = runPython(dir, script, undefined, env);
    expect(none.code).not.toBe(0);
    expect(none.output).toContain("Not authenticated");
    // A token of another project is refused too (403), as for labrun's own API.
    const other = runPython(dir, script, tokens.other, env);
    expect(other.code).not.toBe(0);
    expect(other.output).toContain("403 Forbidden");
  }, 120_000);

  it("per-project tokens: ids of other projects' experiments are refused, a read-only token only reads", async () => {
    const { run } = await get(
      `/api/runs/by-prefix?prefix=${encodeURIComponent("alice/vision/remote/guide")}`,
    );
    const query = (token: string, source: string, variables: object = {}) =>
      fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ query: source, variables }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const byId = "query Q($id: ID!) { experimentById(id: $id) { id name status projectId } }";
    const read = await query(tokens.visionRead, byId, { id: run.id });
    expect(read.body.data.experimentById).toMatchObject({ id: run.id, name: "guide", status: "COMPLETED" });
    const denied = await query(tokens.other, byId, { id: run.id });
    expect(denied.body.errors[0].message).toContain('cannot access project "vision"');
    const write = await api(server.url, "POST", `/api/experiments/${run.id}/logs`, tokens.visionRead, {
      logs: [{ timestamp: new Date().toISOString(), level: "info", message: "refused" }],
    });
    expect(write.status).toBe(403);
    const none = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(none.status).toBe(401);
  });

  it("an unknown query or field is a GraphQL error in GraphQL's format, not a 404 page", async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.vision}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const unknownField = await post({ query: '{ experimentById(id: "x") { id noSuchField } }' });
    expect(unknownField.status).toBe(200);
    expect(unknownField.body.data).toBeUndefined();
    expect(unknownField.body.errors).toEqual([
      expect.objectContaining({
        message: 'Cannot query field "noSuchField" on type "Experiment".',
        locations: [expect.objectContaining({ line: 1 })],
      }),
    ]);
    const unknownQuery = await post({
      query: "query SearchExperimentsPaginated { searchEverything { id } }",
    });
    expect(unknownQuery.body.errors[0].message).toBe(
      'Cannot query field "searchEverything" on type "Query".',
    );
    const syntax = await post({ query: "{ me { " });
    expect(syntax.body.errors[0].message).toMatch(/^Syntax Error/);
    const noQuery = await post({ variables: {} });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.errors[0].message).toContain('"query"');
    // A missing experiment is null, as GraphQL answers it (the client then says "not found").
    const missing = await post({ query: '{ experimentNode(experimentId: "nope") { id } }' });
    expect(missing.body).toEqual({ data: { experimentNode: null } });
  });
});
