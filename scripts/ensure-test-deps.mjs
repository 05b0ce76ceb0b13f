#!/usr/bin/env node
// Installs what the test suite needs on a fresh machine, when it is missing (CI runs on a clean checkout).
// Debian packages are installed with apt-get (as root). Slurm is installed by ../shared/slurm/local-cluster.sh,
// which the Slurm tests' set-up calls.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const onPath = (program) => () => spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
const postgresServer = () =>
  existsSync("/usr/lib/postgresql") &&
  readdirSync("/usr/lib/postgresql").some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));

/** Debian package → how to tell it is there */
const packages = {
  bash: onPath("bash"),
  python3: onPath("python3"), // the quickstart's jobs and the Python client
  "python3-venv": () => spawnSync("python3", ["-c", "import venv, ensurepip"]).status === 0,
  chromium: () => existsSync("/usr/bin/chromium"), // the dashboard's browser tests (playwright-core)
  "fonts-liberation": () => existsSync("/usr/share/fonts/truetype/liberation"), // readable screenshots
  postgresql: postgresServer, // PostgresStore's contract tests start their own server from it
  nginx: () => existsSync("/usr/sbin/nginx"), // the replica tests put labrun serve processes behind their own nginx
  "openssh-server": () => existsSync("/usr/sbin/sshd"), // SSHTunnel tests
  "openssh-client": onPath("ssh"),
  tmux: onPath("tmux"), // the terminal monitor's tests read its screen through tmux
};

const missing = Object.entries(packages)
  .filter(([, present]) => !present())
  .map(([name]) => name);
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(
      `Missing packages for the tests: ${missing.join(", ")}. Install them: apt-get install ${missing.join(" ")}`,
    );
    process.exit(1);
  }
  console.log(`Installing ${missing.join(", ")} …`);
  const run = (args) =>
    spawnSync("apt-get", args, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  if (
    run(["update"]).status !== 0 ||
    run(["install", "-y", "--no-install-recommends", ...missing]).status !== 0
  ) {
    console.error("apt-get failed; install the packages above by hand.");
    process.exit(1);
  }
}
if (!existsSync(new URL("../dist/cli/main.js", import.meta.url))) {
  console.error("dist/ is missing: run `npm run build` (npm install does it).");
  process.exit(1);
}
