import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Experiment, LocalExecutor, Partial, Run } from "../../src/index.js";
import { HttpStore } from "../../src/store/http/http-store.js";
import { repoRoot, tempWorkspace } from "../helpers.js";
import { ServerProcess } from "./server-process.js";

const ws = tempWorkspace("remote-job");
let server: ServerProcess;
beforeAll(async () => {
  server = await ServerProcess.start(join(ws.root, "server"));
});
afterAll(async () => {
  await server?.stop();
  ws.cleanup();
});

describe("a launched job in remote mode", () => {
  it("sends Run.current() to the server given by LABRUN_URL and keeps its local run folder", async () => {
    const exp = new Experiment("remotejob", {
      baseDir: join(ws.root, "workspace"),
      cleanMode: true,
      executor: new LocalExecutor({ env: { LABRUN_URL: server.url } }),
      systemMetricsIntervalMs: 0,
    });
    exp.add(
      new Partial({ module: join(repoRoot, "test", "fixtures", "steps.ts"), fn: "trainTracked", args: [5] }),
      {
        name: "train",
      },
    );
    expect((await exp.run()).ok).toBe(true);
    const status = (await exp.status({ returnDict: true })).train!;
    const local = Run.open({ dir: join(status.directory, "run") });
    expect(local.status).toBe("COMPLETED");
    expect((await local.metrics("train").read({})).total).toBe(5);

    const store = new HttpStore({ url: server.url });
    const stored = await store.getRunByPrefix(local.prefix);
    expect(stored?.status).toBe("COMPLETED");
    expect(await store.getParams(stored!.id)).toMatchObject({ lr: 0.01 });
    const train = await store.readMetrics(stored!.id, "train");
    expect(train.points.map((p) => p.fields)).toEqual(
      [1, 2, 3, 4, 5].map((step) => ({ loss: 1 / step, step })),
    );
  });
});
