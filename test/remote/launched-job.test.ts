import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Experiment, LocalExecutor, Partial, Run } from "../../src/index.js";
import { repoRoot } from "../helpers.js";
import { serveForFile } from "./server-process.js";

const served = serveForFile("remote-job");
const ws = served.workspace;

describe("a launched job in remote mode", () => {
  it("sends Run.current() to the server given by LABRUN_URL and keeps its local run folder", async () => {
    const exp = new Experiment("remotejob", {
      baseDir: join(ws.root, "workspace"),
      cleanMode: true,
      executor: new LocalExecutor({ env: { LABRUN_URL: served.server.url } }),
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

    const store = served.store;
    const stored = await store.getRunByPrefix(local.prefix);
    expect(stored?.status).toBe("COMPLETED");
    expect(await store.getParams(stored!.id)).toMatchObject({ lr: 0.01 });
    const train = await store.readMetrics(stored!.id, "train");
    expect(train.points.map((p) => p.fields)).toEqual(
      [1, 2, 3, 4, 5].map((step) => ({ loss: 1 / step, step })),
    );
  });
});
