#!/usr/bin/env node
// Makes `.venv-mlflow/` (gitignored): a virtualenv with the real MLflow client (`mlflow-skinny` from PyPI),
// for test/server/mlflow-client.test.ts, which logs to `labrun serve` through the mlflow client.
// Does nothing when the venv already has the pinned version. PyPI must be reachable on a clean machine.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const version = process.env.LABRUN_MLFLOW_VERSION ?? "3.17.2";
const venv = fileURLToPath(new URL("../.venv-mlflow/", import.meta.url));
const python = `${venv}bin/python`;

const run = (command, args, options = {}) => spawnSync(command, args, { stdio: "inherit", ...options });
const hasMlflow = () =>
  existsSync(python) &&
  spawnSync(
    python,
    ["-c", `import importlib.metadata as m, mlflow; assert m.version("mlflow-skinny") == "${version}"`],
    { stdio: "ignore" },
  ).status === 0;

if (hasMlflow()) process.exit(0);

if (!existsSync(python)) {
  rmSync(venv, { recursive: true, force: true });
  console.log(`Creating ${venv} (python3 -m venv) for the MLflow compatibility test …`);
  if (run("python3", ["-m", "venv", venv]).status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    console.error(
      "python3 -m venv failed. Install the venv module (Debian/Ubuntu: apt-get install python3-venv) and run again.",
    );
    process.exit(1);
  }
}

console.log(`Installing mlflow-skinny==${version} into ${venv} …`);
const pip = [
  python,
  "-m",
  "pip",
  "install",
  "--quiet",
  "--disable-pip-version-check",
  `mlflow-skinny==${version}`,
];
if (run(pip[0], pip.slice(1)).status !== 0 && run(pip[0], pip.slice(1)).status !== 0) {
  console.error(`pip could not install mlflow-skinny==${version} (is PyPI reachable?).`);
  process.exit(1);
}
if (!hasMlflow()) {
  console.error(`mlflow-skinny==${version} is still not importable from ${python}.`);
  process.exit(1);
}
