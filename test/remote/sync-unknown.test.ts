import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tracked } from "../../src/index.js";
import { runCli } from "../helpers.js";
import { serveForFile } from "./server-process.js";

// A run ML-Dash's own client (0.11, .venv-compat) wrote in local mode records no status: `labrun sync` keeps it
// UNKNOWN on the server (not RUNNING forever), and a status recorded later replaces it.
const python = resolve(import.meta.dirname, "../../.venv-compat/bin/python");
const served = serveForFile("sync-unknown");
const root = join(served.workspace.root, "dash");
const prefix = "dana/nlp/bert/run-1";

describe("labrun sync of a run that recorded no status", () => {
  it("keeps it UNKNOWN on the server, then takes the status recorded later", async () => {
    if (!existsSync(python))
      throw new Error(`${python} is missing: run \`node scripts/ensure-ml-dash-venv.mjs\` (npm test does).`);
    const script = join(served.workspace.root, "write.py");
    writeFileSync(
      script,
      `from ml_dash import Experiment
with Experiment(prefix=${JSON.stringify(prefix)}, dash_root=${JSON.stringify(root)}).run as exp:
    exp.metrics("train").log(loss=0.5, step=0)
    exp.metrics.log(epoch=1)
`,
    );
    const written = spawnSync(python, [script], { encoding: "utf8", timeout: 120_000 });
    expect(written.stderr).not.toContain("Traceback");
    expect(written.status).toBe(0);

    const sync = () =>
      runCli(["sync", "--url", served.server.url, "--root", root, "--json"], {
        workspace: served.workspace.root,
        env: { LABRUN_RUNS: "" },
      });
    const first = sync();
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).runs).toEqual([
      expect.objectContaining({ prefix, created: true, points: 2, status: "UNKNOWN" }),
    ]);
    const listed = await fetch(`${served.server.url}/api/runs?prefix=${encodeURIComponent(prefix)}`);
    const { runs } = (await listed.json()) as { runs: { status: string; endedAt?: string }[] };
    expect(runs).toEqual([expect.objectContaining({ status: "UNKNOWN" })]);
    expect(runs[0]!.endedAt).toBeUndefined();

    // ML-Dash's own listing shows it, and filters by it.
    const graphql = await fetch(`${served.server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `{ experimentsPaginated(namespaceSlug: "dana", projectSlug: "nlp", status: UNKNOWN, limit: 10, offset: 0)
          { experiments { name status } totalCount } }`,
      }),
    });
    expect(await graphql.json()).toEqual({
      data: { experimentsPaginated: { experiments: [{ name: "run-1", status: "UNKNOWN" }], totalCount: 1 } },
    });

    // Again: nothing to send, still UNKNOWN.
    const second = sync();
    expect(JSON.parse(second.stdout).runs).toEqual([
      expect.not.objectContaining({ status: expect.anything() }),
    ]);
    expect((await served.store.getRunByPrefix(prefix))?.status).toBe("UNKNOWN");

    // labrun resumes the run locally and completes it: the next sync records COMPLETED.
    await tracked({ prefix, root }, async (run) => run.metrics("train").log({ loss: 0.25, step: 1 }));
    const third = sync();
    expect(JSON.parse(third.stdout).runs).toEqual([
      expect.objectContaining({ prefix, points: 1, status: "COMPLETED" }),
    ]);
    const done = await served.store.getRunByPrefix(prefix);
    expect(done?.status).toBe("COMPLETED");
    expect(done?.endedAt).toBeDefined();
  });
});
