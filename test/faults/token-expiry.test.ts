import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpStore } from "../../src/store/http/http-store.js";
import { runCli, tempWorkspace } from "../helpers.js";
import { ServerProcess } from "../remote/server-process.js";
import { runScript } from "../tracking/helpers.js";
import { runPython } from "./writer-disk.js";

// A token that expires in the middle of a run (a real expiry date in the server's token store): the batches
// the server refuses for it (401) stay buffered with the final status; `labrun sync` without a token keeps
// them; `labrun sync` with a valid token sends them, in order, exactly once. Nothing goes to rejected/.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Each client logs one point every 20 ms until 2 s after its token expired (EXPIRES, ms since the epoch),
// at least LEAST points, then ends its run and prints how many points it logged and its remote status.
const tsClient = `
const run = new labrun.Run({
  prefix: "alice/tokens/ts",
  remote: { batchIntervalMs: 50, retryDelayMs: 50, maxRetryDelayMs: 200, closeTimeoutMs: 3000 },
});
const until = Number(process.env.EXPIRES) + 2000;
let step = 0;
for (; Date.now() < until || step < Number(process.env.LEAST); step++) {
  run.metrics("train").log({ step });
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await run.complete();
console.log(JSON.stringify({ points: step, ...run.remoteStatus() }));
`;

const pyClient = `
import json, os, time
from labrun import Run
run = Run(prefix="alice/tokens/py", remote={"retry_delay": 0.05, "max_retry_delay": 0.2, "close_timeout": 3}).start()
until = int(os.environ["EXPIRES"]) / 1000 + 2
step = 0
while time.time() < until or step < int(os.environ["LEAST"]):
    run.metrics("train").log(step=step)
    time.sleep(0.02)
    step += 1
run.complete()
print(json.dumps({"points": step, **run.remote_status()}))
`;

async function setup() {
  const workspace = tempWorkspace("token-expiry");
  cleanups.push(workspace.cleanup);
  const server = await ServerProcess.start(join(workspace.root, "server"), { auth: true });
  cleanups.push(() => server.stop());
  // Expires while the client logs (it logs until 2 s after). The first batch must be acknowledged before
  // then: a client process can take many seconds to start on a loaded 2-core machine.
  const expires = Date.now() + 20_000;
  const expiring = server.createToken("tokens", ["--expires", new Date(expires).toISOString()]);
  const valid = server.createToken("tokens");
  const client = join(workspace.root, "client");
  mkdirSync(client);
  const env = { LABRUN_URL: server.url, LABRUN_HOME: client, EXPIRES: String(expires), LEAST: "20" };
  return { server, expiring, valid, client, env };
}

function buffered(client: string, name: string): string[] {
  const dir = join(client, "buffer", "alice", "tokens", name);
  return existsSync(dir) ? readdirSync(dir).filter((entry) => /^[^.]+-\d+\.json$/.test(entry)) : [];
}

async function checkAfterSync(
  server: ServerProcess,
  valid: string,
  client: string,
  name: string,
  status: { points: number; state: string; pending: number; rejected: number; acknowledgedBatches: number },
) {
  const points = status.points;
  const said = JSON.stringify(status);
  expect(status.state, said).toBe("closed");
  expect(status.rejected, said).toBe(0);
  expect(status.pending, said).toBeGreaterThan(0);
  expect(status.acknowledgedBatches, said).toBeGreaterThan(0); // it was online before the token expired
  expect(buffered(client, name).length).toBe(status.pending);
  const rejectedDir = join(client, "buffer", "alice", "tokens", name, "rejected");
  expect(existsSync(rejectedDir) ? readdirSync(rejectedDir) : []).toEqual([]);

  // Without a token: refused, nothing lost, said so.
  const bare = runCli(["sync", "--no-runs", "--url", server.url], {
    workspace: client,
    env: { LABRUN_TOKEN: "" },
  });
  expect(bare.code).not.toBe(0);
  expect(bare.stdout).toContain("the server refused the token");
  expect(buffered(client, name).length).toBe(status.pending);

  const synced = runCli(["sync", "--no-runs", "--url", server.url, "--token", valid], { workspace: client });
  expect(synced.code, synced.stdout + synced.stderr).toBe(0);
  expect(synced.stdout).toContain(`${status.pending} buffered batch(es)`);
  expect(buffered(client, name)).toEqual([]);

  const store = new HttpStore({ url: server.url, token: valid });
  const run = await store.getRunByPrefix(`alice/tokens/${name}`);
  expect(run?.status).toBe("COMPLETED");
  const series = await store.readMetrics(run!.id, "train");
  expect(series.points.map((point) => point.fields.step)).toEqual([...Array(points).keys()]);

  // Once more: nothing left, nothing stored twice.
  expect(
    runCli(["sync", "--no-runs", "--url", server.url, "--token", valid], { workspace: client }).code,
  ).toBe(0);
  expect((await store.readMetrics(run!.id, "train")).count).toBe(points);
}

describe("a token that expires mid-run", () => {
  it("TypeScript client: the refused batches and the final status stay buffered; labrun sync with a valid token sends them once", async () => {
    const { server, expiring, valid, client, env } = await setup();
    const child = runScript(client, "expiring", tsClient, { ...env, LABRUN_TOKEN: expiring });
    const { code } = await child.exited;
    expect(code, child.output().stderr).toBe(0);
    const status = JSON.parse(child.output().stdout.trim().split("\n").pop()!);
    await checkAfterSync(server, valid, client, "ts", status);
  }, 120_000);

  it("Python client: the same", async () => {
    const { server, expiring, valid, client, env } = await setup();
    const result = await runPython(pyClient, [], 120_000, { ...env, LABRUN_TOKEN: expiring });
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout.trim().split("\n").pop()!);
    await checkAfterSync(server, valid, client, "py", status);
  }, 120_000);

  it("batches an older labrun moved to rejected/ for a refused token are sent again by labrun sync", async () => {
    const { server, valid, client, env } = await setup();
    // A client whose token is wrong from the start: the run is refused, its batches stay buffered.
    const child = runScript(client, "wrong", tsClient, { ...env, EXPIRES: "0", LABRUN_TOKEN: "lr_wrong" });
    await child.exited;
    const dir = join(client, "buffer", "alice", "tokens", "ts");
    const files = buffered(client, "ts");
    expect(files.length).toBeGreaterThan(0);
    // What labrun 0.1.0 did with them: rejected/ with the server's answer.
    mkdirSync(join(dir, "rejected"));
    for (const file of files) {
      renameSync(join(dir, file), join(dir, "rejected", file));
      writeFileSync(
        join(dir, "rejected", file.replace(/\.json$/, ".error.json")),
        JSON.stringify({
          code: "UNAUTHORIZED",
          message: "unknown or revoked token",
          at: new Date().toISOString(),
        }),
      );
    }
    const synced = runCli(["sync", "--no-runs", "--url", server.url, "--token", valid], {
      workspace: client,
    });
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    const store = new HttpStore({ url: server.url, token: valid });
    const run = await store.getRunByPrefix("alice/tokens/ts");
    expect((await store.readMetrics(run!.id, "train")).points.map((p) => p.fields.step)).toEqual([
      ...Array(20).keys(),
    ]);
    expect(readdirSync(join(dir, "rejected"))).toEqual([]);
  }, 120_000);
});
