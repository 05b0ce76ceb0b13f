import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, ensureDashboardBuilt, launchChromium } from "../dashboard/browser.js";
import { repoRoot, runCli } from "../helpers.js";
import { api, serveProcess, serverBackends, testDatabase, type TestDatabase } from "./helpers.js";

const python = join(repoRoot, ".venv-mlflow", "bin", "python");

/** Runs test/server/fixtures/mlflow3_models.py (full mlflow + scikit-learn) against `url`. */
async function runModelsScript(
  url: string,
  token: string,
): Promise<{ code: number | null; report?: any; stderr: string }> {
  const child = spawn(python, [join(repoRoot, "test/server/fixtures/mlflow3_models.py")], {
    env: { ...process.env, MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: token, PYTHONWARNINGS: "ignore" },
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

// MLflow 3 through the real, full mlflow client with a real scikit-learn model: logged models, autolog,
// datasets, lifecycle, search filters, and the UI links mlflow prints. One script run per backend (it takes
// ~40 s: importing mlflow and scikit-learn dominates), its report checked part by part.
describe.each(serverBackends())(
  "MLflow 3 (full mlflow 3.17.2 + scikit-learn) on labrun serve, %s",
  (backend) => {
    let dir: string;
    let db: TestDatabase;
    let server: Awaited<ReturnType<typeof serveProcess>>;
    let admin: string;
    let result: Awaited<ReturnType<typeof runModelsScript>>;
    let report: any;

    beforeAll(async () => {
      const ensure = spawnSync(process.execPath, [join(repoRoot, "scripts/ensure-mlflow-venv.mjs")], {
        encoding: "utf8",
      });
      if (ensure.status !== 0)
        throw new Error(`scripts/ensure-mlflow-venv.mjs failed:\n${ensure.stdout}\n${ensure.stderr}`);
      dir = mkdtempSync(join(tmpdir(), "labrun-mlflow3-"));
      db = await testDatabase(backend, dir);
      admin = JSON.parse(
        runCli(["token", "create", "--project", "*", "--db", db.uri, "--json"], { workspace: dir }).stdout,
      ).secret;
      server = await serveProcess(["--db", db.uri, "--files", join(dir, "files")], { LABRUN_HOME: dir });
      result = await runModelsScript(server.url, admin);
      report = result.report;
    }, 600_000);
    afterAll(async () => {
      server?.child.kill("SIGTERM");
      await server?.exited;
      await db?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it("logs a scikit-learn model (log_model) and loads it back with pyfunc and sklearn, by models:/ and runs:/", async () => {
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(report.model_id).toMatch(/^m-[0-9a-f]{32}$/);
      expect(report.model_uri).toBe(`models:/${report.model_id}`);
      expect(report.pyfunc_predict_ok).toBe(true);
      expect(report.sklearn_runs_uri_ok).toBe(true);
      expect(report.logged_model).toEqual({
        name: "model",
        status: "READY",
        source_run_id: report.manual_run_id,
        artifact_location: `mlflow-artifacts:/${report.experiment_id}/models/${report.model_id}/artifacts`,
      });
      expect(report.model_files).toEqual(
        expect.arrayContaining(["MLmodel", "requirements.txt", "python_env.yaml"]),
      );
      expect(report.run_model_listing).toEqual(report.model_files.map((f: string) => `model/${f}`));
      expect(report.outputs_listing).toEqual([]);
      expect(report.model_outputs).toEqual([report.model_id]);
      expect(report.searched_models).toEqual([report.model_id]);
      expect(report.dataset_inputs).toEqual([["iris", "code", ["training"]]]);

      // The model is a labrun run beside the experiment's runs, holding the model's files.
      const model = (await api(server.url, "GET", `/api/runs/${report.model_id.slice(2)}`, admin)).body.run;
      expect(model.prefix).toMatch(/^mlflow\/mlflow3\/models\/model-[0-9a-f]{8}$/);
      expect(model.metadata.mlflow).toMatchObject({ kind: "model", status: "LOGGED_MODEL_READY" });
      const files = (await api(server.url, "GET", `/api/runs/${model.id}/files`, admin)).body.files;
      expect(files.map((f: any) => f.filename)).toContain("MLmodel");
    });

    it("autolog() with defaults records the run's params and its training metrics, on the run and on the model", () => {
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(report.auto_params_count).toBeGreaterThan(5);
      expect(Object.keys(report.auto_metrics).sort()).toEqual(
        expect.arrayContaining(["training_accuracy_score", "training_f1_score", "training_score"]),
      );
      expect(report.auto_metrics.training_score).toBeGreaterThan(0.9);
      expect(report.auto_model_metrics).toEqual(report.auto_metrics);
      expect(report.auto_model_loads).toBe(true);
    });

    it("deletes and restores runs (view types), deletes tags, renames / tags / deletes / restores experiments", () => {
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(report.tag_deleted).toBe(true);
      const auto = report.active_only[0];
      expect(report.deleted_only).toEqual([report.manual_run_id]);
      expect(report.active_only).toEqual([auto]);
      expect(report.all).toEqual([report.manual_run_id, auto].sort());
      expect(report.restored_stage).toBe("active");
      expect(report.renamed).toEqual([true, "cv"]);
      expect(report.deleted_experiment_stage).toBe("deleted");
      expect(report.deleted_experiments).toEqual(["mlflow3-renamed"]);
      expect(report.restored_experiment_stage).toBe("active");
      expect(report.experiments_by_name_desc).toEqual(["mlflow3-renamed", "mlflow3"]);
    });

    it("filters runs with IN, NOT IN, IS NULL, IS NOT NULL, LIKE, ILIKE; refuses OR with a message", () => {
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(report.filters).toEqual({
        run_id_in: ["manual"],
        run_id_not_in: ["auto"],
        param_is_not_null: ["manual"],
        param_is_null: ["auto"],
        tag_in: ["auto"],
        metric_is_not_null: ["auto"],
        name_ilike: ["manual"],
        param_like: ["auto"],
        param_not_in: ["manual"],
        metric_range: ["auto"],
      });
      expect(report.or_error[0]).toBe("INVALID_PARAMETER_VALUE");
      expect(report.or_error[1]).toContain("joined by AND");
    });

    it("answers what it leaves out with 501 NOT_IMPLEMENTED naming it", async () => {
      const response = await fetch(`${server.url}/api/2.0/mlflow/registered-models/create`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "x" }),
      });
      expect(response.status).toBe(501);
      expect(await response.json()).toEqual({
        error_code: "NOT_IMPLEMENTED",
        message: expect.stringContaining("model registry"),
      });
    });

    it.skipIf(backend !== "sqlite" || !existsSync(chromiumPath))(
      "opens the run page from the 'View run at' link mlflow printed",
      async () => {
        expect(result.code, result.stderr.slice(-3000)).toBe(0);
        const link = /View run manual at: (\S+)/.exec(report.printed)?.[1];
        expect(link).toBe(`${server.url}/#/experiments/${report.experiment_id}/runs/${report.manual_run_id}`);
        ensureDashboardBuilt();
        const { browser, close } = await launchChromium();
        try {
          const page = await browser.newPage();
          // Browser-side code as strings: this file is type-checked without the DOM library.
          await page.addInitScript(`localStorage.setItem("labrun-token", ${JSON.stringify(admin)})`);
          const until = (expression: string) =>
            page.waitForFunction(expression, undefined, { timeout: 15_000 });
          await page.goto(link!);
          await until(`location.pathname === "/runs/view"`);
          expect(new URL(page.url()).searchParams.get("ids")).toBe(report.manual_run_id);
          await until(`document.body.innerText.includes("manual-")`);
          await page.goto(`${server.url}/#/experiments/${report.experiment_id}`);
          await until(`new URLSearchParams(location.search).get("p") === "mlflow/mlflow3"`);
        } finally {
          await close();
        }
      },
    );
  },
);
