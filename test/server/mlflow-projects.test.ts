import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../helpers.js";
import { api, serveProcess, serverBackends, testDatabase, type TestDatabase } from "./helpers.js";

const mlflowPython = join(repoRoot, ".venv-mlflow", "bin", "python");
const mlDashPython = join(repoRoot, ".venv-compat", "bin", "python");
const fixtures = join(repoRoot, "test/server/fixtures");

function ensure(script: string): void {
  const result = spawnSync(process.execPath, [join(repoRoot, "scripts", script)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`scripts/${script} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Runs a fixture and returns the JSON of its last output line. */
function runJson(python: string, file: string, env: Record<string, string>): any {
  const result = spawnSync(python, [join(fixtures, file)], {
    env: { ...process.env, PYTHONWARNINGS: "ignore", ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`${file} exited ${result.status}:\n${result.stderr.slice(-4000)}`);
  const line = result.stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (!line) throw new Error(`${file} printed no JSON:\n${result.stdout}\n${result.stderr.slice(-2000)}`);
  return JSON.parse(line);
}

// Every labrun run is visible through MLflow's API: one read-only experiment per labrun project. Runs are
// logged by labrun's Python client (remote mode), by the real ml-dash client and by labrun's HTTP API, then
// read back by the real, full mlflow 3.17.2 client (one script per backend: importing mlflow takes seconds).
describe.each(serverBackends())(
  "labrun projects as MLflow experiments (real mlflow and ml-dash), %s",
  (backend) => {
    let dir: string;
    let db: TestDatabase;
    let server: Awaited<ReturnType<typeof serveProcess>>;
    const tokens = {} as Record<"admin" | "vision" | "other", string>;
    const runIds = {} as Record<"dash" | "failed" | "unknown", string>;
    let report: any;

    beforeAll(async () => {
      ensure("ensure-mlflow-venv.mjs");
      ensure("ensure-ml-dash-venv.mjs");
      dir = mkdtempSync(join(tmpdir(), "labrun-mlflow-projects-"));
      db = await testDatabase(backend, dir);
      const token = (project: string) =>
        JSON.parse(
          runCli(["token", "create", "--project", project, "--db", db.uri, "--json"], { workspace: dir })
            .stdout,
        ).secret as string;
      tokens.admin = token("*");
      tokens.vision = token("vision");
      tokens.other = token("other");
      server = await serveProcess(["--db", db.uri, "--files", join(dir, "files")], { LABRUN_HOME: dir });

      // Two runs of project "other" through labrun's HTTP API: one FAILED, one that recorded no status.
      for (const [key, name, status] of [
        ["failed", "run-h", { status: "FAILED", error: "boom" }],
        ["unknown", "run-u", { status: "UNKNOWN" }],
      ] as const) {
        const created = await api(server.url, "POST", "/api/runs", tokens.admin, {
          prefix: `alice/other/http/${name}`,
        });
        runIds[key] = created.body.run.id;
        const batch = await api(server.url, "POST", `/api/runs/${runIds[key]}/batches`, tokens.admin, {
          clientId: "c1",
          seq: 1,
          params: { lr: 0.1 },
          metrics: [{ stream: "", points: [{ fields: { loss: 2.5 }, ts: 1_700_000_000 }] }],
          status,
        });
        expect(batch.status).toBe(200);
      }

      const config = join(dir, "dash-config");
      mkdirSync(config);
      writeFileSync(join(config, "tokens.json"), JSON.stringify({ "ml-dash-token": tokens.vision }));
      runIds.dash = runJson(mlDashPython, "mlflow_projects_ml_dash.py", {
        DASH_URL: server.url,
        WORK: dir,
        ML_DASH_CONFIG_DIR: config,
        ML_DASH_FLUSH_INTERVAL: "0.2",
      }).run_id;
      report = runJson(mlflowPython, "mlflow_projects.py", {
        MLFLOW_TRACKING_URI: server.url,
        PYTHONPATH: join(repoRoot, "clients/python"),
        ADMIN: tokens.admin,
        VISION: tokens.vision,
        OTHER: tokens.other,
        WORK: dir,
        DASH_RUN: runIds.dash,
      });
    }, 600_000);

    afterAll(async () => {
      server?.child.kill("SIGTERM");
      await server?.exited;
      await db?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("lists one read-only experiment per project beside MLflow's own, with filters, order_by and view types", () => {
      expect(report.sdk_remote).toBe("closed");
      const ids = Object.fromEntries(report.experiments.map(([name, id]: string[]) => [name, id]));
      expect(Object.keys(ids).sort()).toEqual([
        "Default",
        "labrun/alice/other",
        "labrun/alice/vision",
        "labrun/bob/vision",
        "vision",
      ]);
      for (const name of ["labrun/alice/other", "labrun/alice/vision", "labrun/bob/vision"])
        expect(ids[name]).toMatch(/^lr-[0-9a-f]{24}$/);
      expect(ids.vision).toMatch(/^[0-9a-f]{32}$/);
      expect(report.labrun_like).toEqual(["labrun/bob/vision", "labrun/alice/vision", "labrun/alice/other"]);
      expect(report.by_tag).toEqual(["labrun/bob/vision"]);
      expect(report.deleted_only).toEqual([]);
      expect(report.alice).toEqual([
        ids["labrun/alice/vision"],
        "labrun/alice/vision",
        "active",
        `mlflow-artifacts:/${ids["labrun/alice/vision"]}`,
        expect.objectContaining({ "labrun.owner": "alice", "labrun.project": "vision" }),
      ]);
      expect(report.alice_by_id).toBe("labrun/alice/vision");
      expect(report.alice_times).toBe(true);
      expect(report.missing_by_name).toBe(true);
    });

    it("search_runs finds the labrun SDK's and ml-dash's runs by a param and a metric, pages across both kinds", () => {
      expect(report.df_ids).toEqual([report.sdk_run, runIds.dash].sort());
      expect(report.df_columns).toEqual([
        "metrics.acc",
        "metrics.track.robot_pos.x",
        "metrics.train.epoch",
        "metrics.train.loss",
        "params.layers",
        "params.lr",
        "params.model.name",
        "params.optimizer.name",
      ]);
      expect(report.client_filter).toEqual([report.sdk_run]);
      // params.lr ASC (all "0.01"), then run_name DESC; one run per page.
      expect(report.paged).toEqual(["run-d", "run-a", "mlflow-run"]);
      // Every run once: MLflow's own run is not shown again in a project experiment.
      expect(report.every_run).toEqual(
        [report.sdk_run, runIds.dash, runIds.failed, runIds.unknown, report.mlflow_run].sort(),
      );
    });

    it("get_run gives params, metrics, tags and status; MLflow's own run reads back as written", () => {
      expect(report.sdk_view).toEqual({
        name: "run-a",
        experiment_id: report.alice[0],
        status: "FINISHED",
        user: "alice",
        ended: true,
        params: { layers: "3", lr: "0.01", "optimizer.name": "adam" },
        metrics: { acc: 0.875, "train.loss": 0.2 },
        tags: {
          "mlflow.runName": "run-a",
          "mlflow.user": "alice",
          "mlflow.note.content": "sdk run",
          "labrun.prefix": "alice/vision/sdk/run-a",
          "labrun.folder": "sdk",
          "labrun.status": "COMPLETED",
          "labrun.tags": "baseline,v2",
        },
        artifact_uri: `mlflow-artifacts:/${report.alice[0]}/${report.sdk_run}/artifacts`,
      });
      expect(report.dash_view).toMatchObject({
        name: "run-d",
        status: "FINISHED",
        user: "bob",
        params: { lr: "0.01", "model.name": "vit" },
        metrics: { acc: 0.75, "train.epoch": 3, "track.robot_pos.x": 2.5 },
        tags: {
          "labrun.bindrs": "gpu-1",
          "mlflow.note.content": "ml-dash run",
          "labrun.folder": "dash",
          "labrun.prefix": "bob/vision/dash/run-d",
        },
      });
      expect(report.dash_view.metrics["train.loss"]).toBeCloseTo(0.3, 12);
      expect(report.mlflow_view).toMatchObject({
        name: "mlflow-run",
        experiment_id: report.mlflow_experiment,
        params: { lr: "0.01" },
        metrics: { "train/acc": 0.5 },
        tags: expect.objectContaining({ team: "a", "mlflow.runName": "mlflow-run" }),
      });
      expect(Object.keys(report.mlflow_view.tags).filter((k) => k.startsWith("labrun."))).toEqual([]);
    });

    it("maps labrun's statuses: FAILED keeps its error in a tag, a run with no status is SCHEDULED", async () => {
      const get = (id: string) =>
        api(server.url, "GET", `/api/2.0/mlflow/runs/get?run_id=${id}`, tokens.admin);
      const failed = (await get(runIds.failed)).body.run;
      expect(failed.info).toMatchObject({ status: "FAILED", run_name: "run-h", user_id: "alice" });
      expect(failed.info.end_time).toBeGreaterThanOrEqual(failed.info.start_time);
      expect(failed.data.tags).toEqual(
        expect.arrayContaining([
          { key: "labrun.error", value: "boom" },
          { key: "labrun.status", value: "FAILED" },
        ]),
      );
      expect(failed.data.metrics).toEqual([
        { key: "loss", value: 2.5, timestamp: 1_700_000_000_000, step: 0 },
      ]);
      expect(failed.data.params).toEqual([{ key: "lr", value: "0.1" }]);
      const unknown = (await get(runIds.unknown)).body.run;
      expect(unknown.info.status).toBe("SCHEDULED");
      expect(unknown.data.tags).toEqual(expect.arrayContaining([{ key: "labrun.status", value: "UNKNOWN" }]));
    });

    it("get_metric_history gives every step; artifacts are listed and downloaded from the run's files", () => {
      expect(report.sdk_history).toEqual([
        [0, 1],
        [10, 0.5],
        [20, 1 / 3],
        [30, 0.25],
        [40, 0.2],
      ]);
      expect(report.sdk_acc_history).toEqual([
        [0, 0.5],
        [1, 0.875],
      ]);
      expect(report.dash_history.map(([step]: number[]) => step)).toEqual([0, 1, 2, 3]);
      expect(report.dash_history[1][1]).toBeCloseTo(0.7, 12);
      expect(report.unknown_history).toEqual([]);
      expect(report.mlflow_history).toEqual([
        [0, 0.25],
        [1, 0.5],
      ]);
      expect(report.artifacts_root).toEqual([["models", true]]);
      expect(report.artifacts_models).toEqual([["models/weights.txt", 11]]);
      expect(report.download).toBe("sdk-weights");
      expect(report.dash_download).toBe("dash-weights");
    });

    it("refuses every write to a project's run or experiment with INVALID_STATE, and writes nothing", () => {
      const { create_labrun_name, rename_to_labrun, log_artifact, ...rest } = report.refused;
      expect(Object.keys(rest).sort()).toEqual([
        "create_logged_model",
        "create_run",
        "delete_experiment",
        "delete_experiment_tag",
        "delete_run",
        "delete_tag",
        "log_batch",
        "log_inputs",
        "log_metric",
        "log_outputs",
        "log_param",
        "rename",
        "restore_experiment",
        "restore_run",
        "set_experiment_tag",
        "set_tag",
        "terminate",
      ]);
      for (const [call, got] of Object.entries(rest) as [string, string[]][]) {
        expect(got?.[0], call).toBe("INVALID_STATE");
        expect(got[1], call).toContain(
          "'labrun/alice/vision', a labrun project that MLflow's API shows read-only",
        );
      }
      expect(log_artifact[1]).toContain('"error_code":"INVALID_STATE"');
      expect(create_labrun_name[0]).toBe("INVALID_PARAMETER_VALUE");
      expect(rename_to_labrun[0]).toBe("INVALID_PARAMETER_VALUE");
      expect(report.after_refusals).toBe(true);
    });

    it("a run deleted through labrun leaves its project's searches; runs/get says it is deleted", async () => {
      const experiment = report.experiments.find(([name]: string[]) => name === "labrun/alice/other")[1];
      const search = () =>
        api(server.url, "POST", "/api/2.0/mlflow/runs/search", tokens.admin, {
          experiment_ids: [experiment],
          run_view_type: "ALL",
        });
      expect((await search()).body.runs.map((r: any) => r.info.run_name).sort()).toEqual(["run-h", "run-u"]);
      expect((await api(server.url, "DELETE", `/api/runs/${runIds.unknown}`, tokens.admin)).status).toBe(200);
      expect((await search()).body.runs.map((r: any) => r.info.run_name)).toEqual(["run-h"]);
      const got = await api(
        server.url,
        "GET",
        `/api/2.0/mlflow/runs/get?run_id=${runIds.unknown}`,
        tokens.admin,
      );
      expect([got.status, got.body.run?.info.lifecycle_stage ?? got.body.error_code]).toEqual([
        200,
        "deleted",
      ]);
    });

    it("a project-scoped token sees only its project's experiments and runs", () => {
      expect(report.vision_token).toEqual({
        experiments: ["labrun/alice/vision", "labrun/bob/vision", "vision"],
        get_run_sdk: "ok",
        by_name_alice: "ok",
        by_id_alice: "ok",
        search_alice: "ok",
        history_sdk: "ok",
        artifacts_sdk: "ok",
      });
      const { experiments, ...refusals } = report.other_token;
      expect(experiments).toEqual(["labrun/alice/other"]);
      for (const [call, got] of Object.entries(refusals) as [string, string[]][])
        expect(got[0], call).toBe("PERMISSION_DENIED");
    });
  },
);
