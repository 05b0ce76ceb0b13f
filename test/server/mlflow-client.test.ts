import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../helpers.js";
import { api, serveProcess, serverBackends, testDatabase, type TestDatabase } from "./helpers.js";

const python = join(repoRoot, ".venv-mlflow", "bin", "python");

/** Runs the mlflow client script against `url`; resolves with its JSON report. */
async function runMlflowScript(
  url: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; report?: any; stderr: string }> {
  const child = spawn(python, [join(repoRoot, "test/server/fixtures/mlflow_log.py")], {
    env: { ...process.env, MLFLOW_TRACKING_URI: url, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  return { code, stderr, ...(line ? { report: JSON.parse(line) } : {}) };
}

describe.each(serverBackends())("the real mlflow client logging to labrun serve on %s", (backend) => {
  let dir: string;
  let db: TestDatabase;
  let server: Awaited<ReturnType<typeof serveProcess>>;
  let admin: string;
  let visionToken: string;

  beforeAll(async () => {
    // The throw-away venv with the pinned mlflow (and scikit-learn) from PyPI (created once, then reused).
    const ensure = spawnSync(process.execPath, [join(repoRoot, "scripts/ensure-mlflow-venv.mjs")], {
      encoding: "utf8",
    });
    if (ensure.status !== 0)
      throw new Error(`scripts/ensure-mlflow-venv.mjs failed:\n${ensure.stdout}\n${ensure.stderr}`);
    dir = mkdtempSync(join(tmpdir(), "labrun-mlflow-"));
    db = await testDatabase(backend, dir);
    const token = (...args: string[]) =>
      JSON.parse(runCli(["token", "create", ...args, "--db", db.uri, "--json"], { workspace: dir }).stdout)
        .secret as string;
    admin = token("--project", "*");
    visionToken = token("--project", "vision");
    server = await serveProcess(["--db", db.uri, "--files", join(dir, "files")], { LABRUN_HOME: dir });
  }, 300_000);
  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs params, metrics over steps, tags and artifacts, ends the run; labrun's API reads it all back", async () => {
    const result = await runMlflowScript(server.url, { MLFLOW_TRACKING_TOKEN: admin, STEPS: "20" });
    expect(result.code, result.stderr).toBe(0);
    const report = result.report;
    // What the mlflow client itself reads back.
    expect(report.status).toBe("FINISHED");
    expect(report.params).toEqual({ lr: "0.001", optimizer: "adam", layers: "4" });
    expect(report.metrics).toEqual({ loss: 0.05, "train/acc": 0.95 });
    expect(report.tags).toEqual({ team: "vision", stage: "test", seed: "7", reviewed: "yes" });
    expect(report.history).toEqual(Array.from({ length: 20 }, (_, step) => [step, 1 / (step + 1)]));
    expect(report.artifacts).toEqual(["notes.txt", "sub"]);
    expect(report.downloaded).toBe("hello from mlflow\n");
    expect(report.immutable_error).toBe("INVALID_PARAMETER_VALUE");
    expect(report.artifact_uri).toBe(`mlflow-artifacts:/${report.experiment_id}/${report.run_id}/artifacts`);

    // The same run through labrun's own API.
    const run = (await api(server.url, "GET", `/api/runs/${report.run_id}`, admin)).body.run;
    expect(run).toMatchObject({ project: "mlflow-compat", owner: "mlflow", status: "COMPLETED" });
    expect(run.prefix).toMatch(/^mlflow\/mlflow-compat\/compat-run-[0-9a-f]{8}$/);
    expect((await api(server.url, "GET", `/api/runs/${run.id}/params`, admin)).body.params).toEqual({
      lr: "0.001",
      optimizer: "adam",
      layers: "4",
    });
    const streams = (await api(server.url, "GET", `/api/runs/${run.id}/metrics`, admin)).body.streams;
    expect(streams.map((s: any) => s.stream).sort()).toEqual(["loss", "train%2Facc"]);
    const loss = (await api(server.url, "GET", `/api/runs/${run.id}/metrics/loss`, admin)).body;
    expect(loss.points.map((p: any) => [p.fields.step, p.fields.value])).toEqual(report.history);
    const files = (await api(server.url, "GET", `/api/runs/${run.id}/files`, admin)).body.files;
    expect(files.map((f: any) => `${f.prefix}|${f.filename}|${f.size}`).sort()).toEqual([
      "sub/dir|notes.txt|18",
      "|notes.txt|18",
    ]);
    expect(run.metadata.mlflow.tags).toMatchObject({ team: "vision", stage: "test", seed: "7" });
  });

  it("keeps experiment 0 (Default) and answers MLflow's errors: 404 RESOURCE_DOES_NOT_EXIST, 401, 403", async () => {
    const auth = { authorization: `Bearer ${admin}` };
    const get = (path: string, headers: Record<string, string> = auth) =>
      fetch(`${server.url}/api/2.0/mlflow/${path}`, { headers }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as any,
      }));
    const zero = await get("experiments/get?experiment_id=0");
    expect(zero.body.experiment).toMatchObject({
      experiment_id: "0",
      name: "Default",
      lifecycle_stage: "active",
    });
    const missing = await get("experiments/get-by-name?experiment_name=nope");
    expect(missing).toEqual({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: expect.any(String) },
    });
    expect((await get("runs/get?run_id=nope")).body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    expect((await get("experiments/get?experiment_id=0", {})).body.error_code).toBe("UNAUTHENTICATED");
    const forbidden = await get("experiments/get-by-name?experiment_name=mlflow-compat", {
      authorization: `Bearer ${visionToken}`,
    });
    expect(forbidden).toMatchObject({ status: 403, body: { error_code: "PERMISSION_DENIED" } });
    const badBatch = await fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        run_id: "x",
        params: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: "v" })),
      }),
    });
    expect(badBatch.status).toBe(400);
    expect(((await badBatch.json()) as any).error_code).toBe("INVALID_PARAMETER_VALUE");
  });

  it("lets a project token log to the experiment of its project", async () => {
    const result = await runMlflowScript(server.url, {
      MLFLOW_TRACKING_TOKEN: visionToken,
      EXPERIMENT: "vision",
      STEPS: "3",
    });
    expect(result.code, result.stderr).toBe(0);
    const runs = (await api(server.url, "GET", "/api/runs?prefix=mlflow/vision", visionToken)).body.runs;
    expect(runs.map((r: any) => r.prefix).sort()).toEqual([
      "mlflow/vision",
      expect.stringMatching(/^mlflow\/vision\/compat-run-/),
    ]);
  });
});
