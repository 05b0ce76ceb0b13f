#!/usr/bin/env node
// Makes `.venv-mlflow/` (gitignored): a virtualenv with the real MLflow client (`mlflow-skinny` from PyPI),
// for test/server/mlflow-client.test.ts, which logs to `labrun serve` through the mlflow client.
import { fileURLToPath } from "node:url";
import { ensurePinnedVenv } from "./pinned-venv.mjs";

ensurePinnedVenv({
  venv: fileURLToPath(new URL("../.venv-mlflow/", import.meta.url)),
  distribution: "mlflow-skinny",
  version: process.env.LABRUN_MLFLOW_VERSION ?? "3.17.2",
  module: "mlflow",
  purpose: "the MLflow compatibility test",
});
