#!/usr/bin/env node
// Makes `.venv-nemo-run/` (gitignored): a virtualenv with NeMo-Run 0.11.1 from PyPI, for the Python launch
// benchmark (bench/python-launch.ts). leptonai is pinned first: nemo_run 0.11.1 asks for leptonai>=0.26.6 with no
// upper bound, and leptonai 0.47 dropped the `leptonai.api.v1` module that `import nemo_run` needs
// (bench/peers/README.md, "Install").
import { fileURLToPath } from "node:url";
import { ensurePinnedVenv } from "../../scripts/pinned-venv.mjs";

const venv = fileURLToPath(new URL("../../.venv-nemo-run/", import.meta.url));
const purpose = "the NeMo-Run side of the Python launch benchmark";
ensurePinnedVenv({ venv, distribution: "leptonai", version: "0.27.3", module: "leptonai", purpose });
ensurePinnedVenv({ venv, distribution: "nemo_run", version: "0.11.1", module: "nemo_run", purpose });
