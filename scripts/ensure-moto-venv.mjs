#!/usr/bin/env node
// Makes `.venv-moto/` (gitignored): a virtualenv with moto's server mode (`moto_server`), an S3-compatible
// server that runs on this machine, for the S3 file-storage tests (test/server/s3-*.test.ts).
import { fileURLToPath } from "node:url";
import { ensurePinnedVenv } from "./pinned-venv.mjs";

ensurePinnedVenv({
  venv: fileURLToPath(new URL("../.venv-moto/", import.meta.url)),
  distribution: "moto",
  version: process.env.LABRUN_MOTO_VERSION ?? "5.2.6",
  extras: "server",
  module: "moto.server",
  purpose: "the S3 file-storage tests",
});
