import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, tempWorkspace } from "../helpers.js";
import { api, serveProcess } from "./helpers.js";

// `^(-+)+$` against "-" × n + "x" takes 2^n steps with a backtracking engine (30 characters froze the
// server 10.5 s). Every user pattern now runs on RE2: these answer at once even at 60 characters.
const catastrophic = "^(-+)+$";
const evil = (n: number) => `${"-".repeat(n)}x`;

describe("log regex: linear time, clear errors", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveProcess>>;
  let runId = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "labrun-redos-"));
    server = await serveProcess(
      ["--no-auth", "--db", `sqlite:${join(dir, "labrun.db")}`, "--files", join(dir, "f")],
      {
        LABRUN_HOME: dir,
      },
    );
    runId = (await api(server.url, "POST", "/api/runs", undefined, { prefix: "alice/vision/redos" })).body.run
      .id;
    const timestamp = new Date().toISOString();
    const logs = [evil(30), evil(60), "-----", "epoch 1 done"].map((message) => ({
      level: "info",
      message,
      timestamp,
    }));
    const sent = await api(server.url, "POST", `/api/runs/${runId}/batches`, undefined, {
      clientId: "t",
      seq: 1,
      logs,
    });
    expect(sent.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    server.child.kill("SIGKILL");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("GET …/logs?regex=^(-+)+$ over 30- and 60-character lines answers, and the server keeps serving", async () => {
    const started = performance.now();
    const found = await api(
      server.url,
      "GET",
      `/api/runs/${runId}/logs?regex=${encodeURIComponent(catastrophic)}`,
      undefined,
    );
    const elapsed = performance.now() - started;
    expect(found.status).toBe(200);
    expect(found.body.logs.map((l: { message: string }) => l.message)).toEqual(["-----"]);
    // The same pattern through the dashboard API of the same server.
    const dash = await api(
      server.url,
      "GET",
      `/api/dashboard/runs/${runId}/logs?regex=${encodeURIComponent(catastrophic)}`,
      undefined,
    );
    expect(dash.body.logs.map((l: { message: string }) => l.message)).toEqual(["-----"]);
    expect((await api(server.url, "GET", "/api/health", undefined)).status).toBe(200);
    console.log(
      `ReDoS pattern ${catastrophic} over a 61-character line answered in ${elapsed.toFixed(1)} ms`,
    );
  });

  it("refuses a pattern that does not compile, or needs backtracking, with INVALID_REGEX", async () => {
    for (const pattern of ["(", "(?=a)b", "(a)\\1"]) {
      const q = encodeURIComponent(pattern);
      for (const path of [
        `/api/runs/${runId}/logs?regex=${q}`,
        `/api/dashboard/runs/${runId}/logs?regex=${q}`,
      ]) {
        const answer = await api(server.url, "GET", path, undefined);
        expect([answer.status, answer.body.error.code], path).toEqual([400, "INVALID_REGEX"]);
        expect(answer.body.error.message).toContain("RE2");
      }
    }
  });

  it("labrun experiment logs --regex over a job's output: linear, and INVALID_REGEX for a bad pattern", () => {
    const ws = tempWorkspace("redos-cli");
    try {
      const file = join(repoRoot, "test", "fixtures", "experiments", "regex-lines.ts");
      const launched = runCli(["run", file], { workspace: ws.root, cwd: repoRoot });
      expect(launched.code, launched.stderr).toBe(0);
      const id = /labrun experiment status (\S+)/.exec(launched.stderr)![1]!;
      const logs = runCli(["experiment", "logs", id, "print", "--regex", catastrophic], {
        workspace: ws.root,
      });
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout.trim().split("\n").at(-1)).toContain("-----");
      expect(logs.stdout).not.toContain(evil(60));
      const bad = runCli(["experiment", "logs", id, "print", "--regex", "(?<=a)b"], { workspace: ws.root });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("INVALID_REGEX");
      expect(bad.stderr).not.toMatch(/\n\s+at /);
    } finally {
      ws.cleanup();
    }
  }, 180_000);
});
