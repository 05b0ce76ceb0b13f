import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { ensureDashboardBuilt } from "../dashboard/browser.js";
import { rawRequest } from "./raw-http.js";

// `labrun ui` over a workspace with a running experiment: a page of another site (or a DNS name rebound to
// 127.0.0.1) must neither read it nor cancel its jobs.
const longExperiment = join(repoRoot, "test", "fixtures", "experiments", "long.ts");

describe("labrun ui against cross-site requests", () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let ui: ReturnType<typeof startCli>;
  let url = "";
  let port = "";
  let id = "";
  const states = () => {
    const r = runCli(["experiment", "status", id, "--json"], { workspace: ws.root });
    return (JSON.parse(r.stdout) as { jobs: { state: string }[] }).jobs.map((j) => j.state);
  };
  const cancel = (headers: Record<string, string>, body?: string) =>
    rawRequest(url, { method: "POST", path: `/api/dashboard/experiments/${id}/cancel`, headers, body });

  beforeAll(async () => {
    ensureDashboardBuilt();
    ws = tempWorkspace("cross-site-ui");
    const launched = runCli(["run", longExperiment], {
      workspace: ws.root,
      env: { DETACH: "1", LONG_SECONDS: "120", JOB_MARKER: "cross-site-ui" },
    });
    expect(launched.code, launched.stderr).toBe(0);
    id = /labrun experiment status (\S+)/.exec(launched.stderr)![1]!;
    await waitFor("both long jobs to run", () => states().filter((s) => s === "RUNNING").length === 2);
    ui = startCli(["ui", "--port", "0", "--allowed-hosts", "dash.lab.example"], { workspace: ws.root });
    url = await waitFor("the URL", () => /http:\/\/127\.0\.0\.1:\d+\//.exec(ui.output().stdout)?.[0], 20_000);
    port = new URL(url).port;
  }, 60_000);

  afterAll(async () => {
    ui?.child.kill("SIGINT");
    await ui?.exited;
    if (id) runCli(["experiment", "cancel", id, "--all"], { workspace: ws.root });
    ws?.cleanup();
  }, 30_000);

  it("answers only its own host names: a rebound DNS name reads nothing", async () => {
    for (const path of ["/api/dashboard/experiments", "/", "/api/dashboard/runs"]) {
      const answer = await rawRequest(url, { path, headers: { host: `attacker.example:${port}` } });
      expect(answer.status, path).toBe(403);
      expect(answer.body.error.code).toBe("HOST_NOT_ALLOWED");
      expect(answer.text).not.toContain(id);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "dash.lab.example"]) {
      const answer = await rawRequest(url, { path: "/api/dashboard/experiments", headers: { host } });
      expect(answer.status, host).toBe(200);
    }
  });

  it("answers unknown paths and methods with JSON errors (404, 405 with Allow)", async () => {
    const host = `127.0.0.1:${port}`;
    const nowhere = await rawRequest(url, { path: "/api/dashboard/nowhere", headers: { host } });
    expect([nowhere.status, nowhere.body?.error?.code]).toEqual([404, "NOT_FOUND"]);
    const wrong = await rawRequest(url, { method: "DELETE", path: "/api/dashboard/runs", headers: { host } });
    expect([wrong.status, wrong.body?.error?.code, wrong.headers.allow]).toEqual([
      405,
      "METHOD_NOT_ALLOWED",
      "GET, HEAD",
    ]);
  });

  it("refuses the cross-site text/plain POST with an empty body that cancelled the job, and its variants", async () => {
    const host = `127.0.0.1:${port}`;
    const refused = [
      // The reported attack: a form-like simple request from another site.
      [{ host, origin: "http://attacker.example", "content-type": "text/plain" }, "", 403, "CROSS_ORIGIN"],
      [
        { host, "sec-fetch-site": "cross-site", "content-type": "application/json" },
        "{}",
        403,
        "CROSS_ORIGIN",
      ],
      [{ host, origin: "null", "content-type": "application/json" }, '{"all":true}', 403, "CROSS_ORIGIN"],
      [
        { host, origin: "http://127.0.0.1:1", "content-type": "application/json" },
        '{"all":true}',
        403,
        "CROSS_ORIGIN",
      ],
      // Without any Origin (a program), the body must still be JSON and say what to cancel.
      [{ host, "content-type": "text/plain" }, "", 415, "UNSUPPORTED_MEDIA_TYPE"],
      [
        { host, "content-type": "application/x-www-form-urlencoded" },
        "all=true",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      [{ host, "content-type": "application/json" }, "", 400, "USAGE"],
      [{ host, "content-type": "application/json" }, "{}", 400, "USAGE"],
      [{ host, "content-type": "application/json" }, '{"all":false}', 400, "USAGE"],
      [{ host, "content-type": "application/json" }, '{"all":true,"job":"long-a"}', 400, "USAGE"],
    ] as const;
    for (const [headers, body, status, code] of refused) {
      const answer = await cancel(headers, body);
      expect([answer.status, answer.body?.error?.code], JSON.stringify([headers, body])).toEqual([
        status,
        code,
      ]);
    }
    expect(states()).toEqual(["RUNNING", "RUNNING", "WAITING"]);
  });

  it("the dashboard's own page (same origin, JSON, an explicit target) still cancels", async () => {
    const origin = `http://127.0.0.1:${port}`;
    const one = await cancel(
      {
        host: `127.0.0.1:${port}`,
        origin,
        "sec-fetch-site": "same-origin",
        "content-type": "application/json",
      },
      '{"job":"long-a"}',
    );
    expect(one.status, one.text).toBe(200);
    await waitFor("long-a cancelled", () => states()[0] === "CANCELLED");
    expect(states()[1]).toBe("RUNNING");
    const all = await cancel(
      { host: `127.0.0.1:${port}`, "content-type": "application/json" },
      '{"all":true}',
    );
    expect(all.status, all.text).toBe(200);
    await waitFor("every job cancelled", () => states().every((s) => s === "CANCELLED"));
  });
});
