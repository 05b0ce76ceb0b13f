#!/usr/bin/env node
// Installs what the test suite needs on a fresh machine, when it is missing (CI runs on a clean checkout).
// Debian packages are installed with apt-get (as root); each later backend adds its needs to `packages`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** program on PATH → Debian package that provides it */
const packages = {
  bash: "bash",
  python3: "python3", // the quickstart's jobs and the Python client
};

const missing = Object.entries(packages).filter(
  ([program]) => spawnSync("sh", ["-c", `command -v ${program}`]).status !== 0,
);
if (missing.length > 0) {
  const names = [...new Set(missing.map(([, pkg]) => pkg))];
  if (process.getuid?.() !== 0) {
    console.error(`Missing programs for the tests: ${missing.map(([p]) => p).join(", ")}. Install: apt-get install ${names.join(" ")}`);
    process.exit(1);
  }
  console.log(`Installing ${names.join(", ")} …`);
  const run = (args) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (run(["update"]).status !== 0 || run(["install", "-y", "--no-install-recommends", ...names]).status !== 0) {
    console.error("apt-get failed; install the packages above by hand.");
    process.exit(1);
  }
}
if (!existsSync(new URL("../dist/cli/main.js", import.meta.url))) {
  console.error("dist/ is missing: run `npm run build` (npm install does it).");
  process.exit(1);
}
