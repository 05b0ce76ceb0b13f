// Makes (or checks) a gitignored virtualenv holding pinned packages from PyPI, for the compatibility tests
// that drive a real peer (ML-Dash, MLflow). Does nothing when the venv already has the pinned version; exits 1
// with what to do when it cannot make it. PyPI must be reachable on a clean machine.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";

/**
 * @param {{ venv: string, distribution: string, version: string, module: string, purpose: string,
 *   extras?: string, also?: readonly { distribution: string, version: string, module: string }[] }} spec
 *   venv: absolute folder ending in "/"; distribution: the pip name; module: what must import;
 *   extras: the distribution's extras to install (`server` for `moto[server]`);
 *   also: more pinned packages installed beside it (e.g. scikit-learn for MLflow's model flavours).
 */
export function ensurePinnedVenv({ venv, distribution, version, module, purpose, extras, also = [] }) {
  const python = `${venv}bin/python`;
  const all = [{ distribution, version, module, extras }, ...also];
  const specs = all.map((p) => `${p.distribution}${p.extras ? `[${p.extras}]` : ""}==${p.version}`);
  const check = all
    .map((p) => `import ${p.module}; assert m.version("${p.distribution}") == "${p.version}"`)
    .join("; ");
  const run = (command, args) => spawnSync(command, args, { stdio: "inherit" });
  const installed = () =>
    existsSync(python) &&
    spawnSync(python, ["-c", `import importlib.metadata as m; ${check}`], { stdio: "ignore" }).status === 0;

  if (installed()) return;
  // Two test files may ask for the same venv at once (vitest runs two forks): one installs, the other waits.
  const lock = `${venv.replace(/\/$/, "")}.lock`;
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      // A lock older than 20 minutes belongs to an install that died.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 20 * 60_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) {
        console.error(`Timed out waiting for another install into ${venv} (lock ${lock}).`);
        process.exit(1);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    }
  }
  try {
    if (!installed()) install();
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    process.exitCode = 1;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  if (process.exitCode === 1) process.exit(1);

  function install() {
    if (!existsSync(python)) {
      rmSync(venv, { recursive: true, force: true });
      console.log(`Creating ${venv} (python3 -m venv) for ${purpose} …`);
      if (run("python3", ["-m", "venv", venv]).status !== 0) {
        rmSync(venv, { recursive: true, force: true });
        console.error(
          "python3 -m venv failed. Install the venv module (Debian/Ubuntu: apt-get install python3-venv) and run again.",
        );
        throw new InstallError();
      }
    }
    console.log(`Installing ${specs.join(" ")} into ${venv} …`);
    const pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...specs];
    // One retry: a dropped connection to PyPI is the usual failure on a clean machine.
    if (run(python, pip).status !== 0 && run(python, pip).status !== 0) {
      console.error(`pip could not install ${specs.join(" ")} (is PyPI reachable?).`);
      throw new InstallError();
    }
    if (!installed()) {
      console.error(`${specs.join(" ")} is still not importable from ${python}.`);
      throw new InstallError();
    }
  }
}

/** An install step failed; its message is already printed. */
class InstallError extends Error {}
