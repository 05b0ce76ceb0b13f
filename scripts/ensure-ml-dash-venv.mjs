#!/usr/bin/env node
// Makes `.venv-compat/` (gitignored): a virtualenv with the real ML-Dash from PyPI, for
// test/tracking/ml-dash-compat.test.ts, which proves that labrun and ML-Dash read each other's runs.
// Does nothing when the venv already has the pinned version. CI runs on a clean machine: PyPI must be reachable.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const mlDashVersion = "0.11.0";
const venv = fileURLToPath(new URL("../.venv-compat/", import.meta.url));
const python = `${venv}bin/python`;

const run = (command, args, options = {}) => spawnSync(command, args, { stdio: "inherit", ...options });
const hasMlDash = () =>
  existsSync(python) &&
  spawnSync(
    python,
    ["-c", `import importlib.metadata as m, ml_dash; assert m.version("ml-dash") == "${mlDashVersion}"`],
    {
      stdio: "ignore",
    },
  ).status === 0;

if (hasMlDash()) process.exit(0);

if (!existsSync(python)) {
  rmSync(venv, { recursive: true, force: true });
  console.log(`Creating ${venv} (python3 -m venv) for the ML-Dash compatibility test …`);
  if (run("python3", ["-m", "venv", venv]).status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    console.error(
      "python3 -m venv failed. Install the venv module (Debian/Ubuntu: apt-get install python3-venv) and run again.",
    );
    process.exit(1);
  }
}

console.log(`Installing ml-dash==${mlDashVersion} into ${venv} …`);
const pip = [
  python,
  "-m",
  "pip",
  "install",
  "--quiet",
  "--disable-pip-version-check",
  `ml-dash==${mlDashVersion}`,
];
if (run(pip[0], pip.slice(1)).status !== 0 && run(pip[0], pip.slice(1)).status !== 0) {
  console.error(`pip could not install ml-dash==${mlDashVersion} (is PyPI reachable?).`);
  process.exit(1);
}
if (!hasMlDash()) {
  console.error(`ml-dash==${mlDashVersion} is still not importable from ${python}.`);
  process.exit(1);
}
