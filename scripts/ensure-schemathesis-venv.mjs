#!/usr/bin/env node
// Makes `.venv-fuzz/` (gitignored): a virtualenv with schemathesis from PyPI, pinned, for the schema fuzzing of
// `labrun serve` and `labrun ui` (test/fuzz/schema-fuzz.test.ts and `npm run fuzz`).
import { fileURLToPath } from "node:url";
import { ensurePinnedVenv } from "./pinned-venv.mjs";

ensurePinnedVenv({
  venv: fileURLToPath(new URL("../.venv-fuzz/", import.meta.url)),
  distribution: "schemathesis",
  version: process.env.LABRUN_SCHEMATHESIS_VERSION ?? "4.32.5",
  module: "schemathesis",
  purpose: "the schema fuzzing of the servers",
});
