import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpStore } from "../../src/store/http/http-store.js";
import { repoRoot, runCli, tempWorkspace } from "../helpers.js";
import { ServerProcess } from "./server-process.js";

const ws = tempWorkspace("remote-end");
let server: ServerProcess;
let store: HttpStore;
beforeAll(async () => {
  server = await ServerProcess.start(join(ws.root, "server"));
  store = new HttpStore({ url: server.url });
});
afterAll(async () => {
  await server?.stop();
  ws.cleanup();
});

function script(how: string) {
  return spawnSync(
    process.execPath,
    [join(repoRoot, "test", "remote", "fixtures", "remote-script.mjs"), how],
    {
      cwd: repoRoot,
      env: { ...process.env, LABRUN_URL: server.url, LABRUN_HOME: ws.root },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
}

async function stored(prefix: string) {
  const run = await store.getRunByPrefix(prefix);
  if (!run) return undefined;
  const train = await store.readMetrics(run.id, "train");
  return {
    status: run.status,
    error: run.error,
    points: train.count,
    logs: (await store.queryLogs(run.id)).length,
  };
}

describe("a program in remote mode that ends with its run open", () => {
  it("sends everything and COMPLETED when it just ends", async () => {
    const result = script("normal");
    expect(result.status).toBe(0);
    expect(await stored("alice/scripts/normal")).toMatchObject({ status: "COMPLETED", points: 300, logs: 1 });
  });

  it("leaves FAILED and its last batches in the buffer after process.exit(3) or an uncaught error; labrun sync sends them", async () => {
    expect(script("exit3").status).toBe(3);
    expect(script("throw").status).toBe(1);
    const sync = runCli(["sync", "--url", server.url, "--no-runs"], { workspace: ws.root });
    expect(sync.code).toBe(0);
    expect(await stored("alice/scripts/exit3")).toMatchObject({ status: "FAILED", points: 300, logs: 1 });
    const thrown = await stored("alice/scripts/throw");
    expect(thrown).toMatchObject({ status: "FAILED", points: 300, logs: 1 });
    expect(thrown?.error).toContain("diverged");
  });
});
