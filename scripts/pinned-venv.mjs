// Makes (or checks) a gitignored virtualenv holding pinned packages from PyPI, for the compatibility tests
// that drive a real peer (ML-Dash, MLflow). Does nothing when the venv already has the pinned version; exits 1
// with what to do when it cannot make it. PyPI must be reachable on a clean machine.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";

/**
 * @param {{ venv: string, distribution: string, version: string, module: string, purpose: string,
 *   also?: readonly { distribution: string, version: string, module: string }[] }} spec
 *   venv: absolute folder ending in "/"; distribution: the pip name; module: what must import;
 *   also: more pinned packages installed beside it (e.g. scikit-learn for MLflow's model flavours).
 */
export function ensurePinnedVenv({ venv, distribution, version, module, purpose, also = [] }) {
  const python = `${venv}bin/python`;
  const all = [{ distribution, version, module }, ...also];
  const specs = all.map((p) => `${p.distribution}==${p.version}`);
  const check = all
    .map((p) => `import ${p.module}; assert m.version("${p.distribution}") == "${p.version}"`)
    .join("; ");
  const run = (command, args) => spawnSync(command, args, { stdio: "inherit" });
  const installed = () =>
    existsSync(python) &&
    spawnSync(python, ["-c", `import importlib.metadata as m; ${check}`], { stdio: "ignore" }).status === 0;

  if (installed()) return;
  if (!existsSync(python)) {
    rmSync(venv, { recursive: true, force: true });
    console.log(`Creating ${venv} (python3 -m venv) for ${purpose} …`);
    if (run("python3", ["-m", "venv", venv]).status !== 0) {
      rmSync(venv, { recursive: true, force: true });
      console.error(
        "python3 -m venv failed. Install the venv module (Debian/Ubuntu: apt-get install python3-venv) and run again.",
      );
      process.exit(1);
    }
  }
  console.log(`Installing ${specs.join(" ")} into ${venv} …`);
  const pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...specs];
  // One retry: a dropped connection to PyPI is the usual failure on a clean machine.
  if (run(python, pip).status !== 0 && run(python, pip).status !== 0) {
    console.error(`pip could not install ${specs.join(" ")} (is PyPI reachable?).`);
    process.exit(1);
  }
  if (!installed()) {
    console.error(`${specs.join(" ")} is still not importable from ${python}.`);
    process.exit(1);
  }
}
