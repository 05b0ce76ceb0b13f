import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, startCli, waitFor } from "../helpers.js";
import { ensureDashboardBuilt } from "../dashboard/browser.js";
import { api, serveProcess } from "../server/helpers.js";

// Schema fuzzing of the two servers' OpenAPI documents with schemathesis (pinned in .venv-fuzz/, made by
// scripts/ensure-schemathesis-venv.mjs). Bounded here (a fixed seed, a few examples per operation);
// `npm run fuzz` sets LABRUN_FUZZ_EXAMPLES higher. SSE operations are left out: their answers never end.
const examples = process.env.LABRUN_FUZZ_EXAMPLES ?? "15";
const st = join(repoRoot, ".venv-fuzz", "bin", "st");
const checks = [
  "not_a_server_error",
  "status_code_conformance",
  "response_schema_conformance",
  "content_type_conformance",
  "unsupported_method",
].join(",");

interface FuzzResult {
  readonly code: number | null;
  readonly output: string;
  readonly cases: number;
  readonly failures: number;
}

/** Runs `st run` on a document; returns the exit code and the counts of its summary. */
async function fuzz(url: string, config: string, extra: string[] = []): Promise<FuzzResult> {
  const args = ["--config-file", config, "run", url, "--checks", checks, "--max-examples", examples];
  args.push("--seed", "20261207", "--workers", "1", "--phases", "examples,coverage,fuzzing", "--no-color");
  args.push("--exclude-path-regex", "/events$|/log$", ...extra);
  const child = spawn(st, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const counts = /(\d+) generated, (?:(\d+) found \d+ unique failures, )?(\d+) passed/.exec(output);
  const cases = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  const failures = Number(/(\d+) unique failures?/.exec(output)?.[1] ?? counts?.[2] ?? 0);
  console.log(`schemathesis ${url}: ${cases} cases, ${failures} failures (exit ${code})`);
  return { code, output, cases, failures };
}

const venvReady = () =>
  spawnSync("node", [join(repoRoot, "scripts", "ensure-schemathesis-venv.mjs")], { stdio: "inherit" })
    .status === 0;

describe("schema fuzzing (schemathesis)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "labrun-fuzz-"));
    expect(venvReady(), "the schemathesis venv could not be made").toBe(true);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("labrun serve: /api/openapi.json, 0 failures", async () => {
    const db = `sqlite:${join(dir, "labrun.db")}`;
    const made = runCli(["token", "create", "--project", "*", "--json", "--db", db], { workspace: dir });
    const secret = (JSON.parse(made.stdout) as { secret: string }).secret;
    const server = await serveProcess(["--db", db, "--files", join(dir, "files")], { LABRUN_HOME: dir });
    try {
      const run = await api(server.url, "POST", "/api/runs", secret, { prefix: "fuzz/project/run" });
      const config = join(dir, "serve.toml");
      writeFileSync(config, `[parameters]\n"path.runId" = "${run.body.run.id as string}"\n`);
      const result = await fuzz(`${server.url}/api/openapi.json`, config, [
        "-H",
        `Authorization: Bearer ${secret}`,
      ]);
      expect(result.cases).toBeGreaterThan(100);
      expect(result.code, result.output.slice(-6000)).toBe(0);
      expect((await api(server.url, "GET", "/api/health", undefined)).status).toBe(200);
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
    }
  }, 300_000);

  it("labrun ui: /api/dashboard/openapi.json, 0 failures", async () => {
    ensureDashboardBuilt();
    const ws = join(dir, "ws");
    const launched = runCli(["run", join(repoRoot, "test", "fixtures", "experiments", "regex-lines.ts")], {
      workspace: ws,
    });
    expect(launched.code, launched.stderr).toBe(0);
    const id = /labrun experiment status (\S+)/.exec(launched.stderr)![1]!;
    const ui = startCli(["ui", "--port", "0"], { workspace: ws });
    try {
      const url = await waitFor(
        "the URL",
        () => /http:\/\/127\.0\.0\.1:\d+/.exec(ui.output().stdout)?.[0],
        20_000,
      );
      const config = join(dir, "ui.toml");
      writeFileSync(config, `[parameters]\n"path.id" = "${id}"\n`);
      const result = await fuzz(`${url}/api/dashboard/openapi.json`, config);
      expect(result.cases).toBeGreaterThan(50);
      expect(result.code, result.output.slice(-6000)).toBe(0);
    } finally {
      ui.child.kill("SIGINT");
      await ui.exited;
    }
  }, 300_000);
});
