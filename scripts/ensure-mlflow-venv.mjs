#!/usr/bin/env node
// Makes `.venv-mlflow/` (gitignored): a virtualenv with the real MLflow client (full `mlflow` from PyPI, with
// scikit-learn for its model flavours), for test/server/mlflow-client.test.ts and mlflow3-client.test.ts,
// which log to `labrun serve` through the mlflow client.
import { fileURLToPath } from "node:url";
import { ensurePinnedVenv } from "./pinned-venv.mjs";

ensurePinnedVenv({
  venv: fileURLToPath(new URL("../.venv-mlflow/", import.meta.url)),
  distribution: "mlflow",
  version: process.env.LABRUN_MLFLOW_VERSION ?? "3.17.2",
  module: "mlflow",
  purpose: "the MLflow compatibility tests",
  also: [{ distribution: "scikit-learn", version: "1.9.1", module: "sklearn" }],
});
