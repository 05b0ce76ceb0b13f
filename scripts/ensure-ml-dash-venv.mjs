#!/usr/bin/env node
// Makes `.venv-compat/` (gitignored): a virtualenv with the real ML-Dash from PyPI, for
// test/tracking/ml-dash-compat.test.ts, which proves that labrun and ML-Dash read each other's runs.
import { fileURLToPath } from "node:url";
import { ensurePinnedVenv } from "./pinned-venv.mjs";

ensurePinnedVenv({
  venv: fileURLToPath(new URL("../.venv-compat/", import.meta.url)),
  distribution: "ml-dash",
  version: "0.11.0",
  module: "ml_dash",
  purpose: "the ML-Dash compatibility test",
});
