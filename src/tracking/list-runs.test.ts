import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { listRuns } from "./list-runs.js";
import { Run } from "./run.js";
import { tracked } from "./tracked.js";

const temp = tempDir("list");
afterAll(() => temp.cleanup());

describe("listRuns", () => {
  it("finds runs at any depth and filters by prefix, tag and status", async () => {
    const root = temp.dir;
    await tracked({ prefix: "alice/vision/resnet", root, tags: ["baseline"] }, () => undefined);
    await tracked({ prefix: "alice/vision/sweep/lr-0.1", root, tags: ["sweep"] }, () => undefined);
    await expect(
      tracked({ prefix: "alice/nlp/bert", root }, () => Promise.reject(new Error("x"))),
    ).rejects.toThrow();
    const open = new Run({ prefix: "bob/vision/vit", root });
    // A nested run below another run's prefix, and ML-Dash's own run (no status).
    await tracked({ prefix: "alice/vision/resnet/finetune", root }, () => undefined);
    mkdirSync(join(root, "carol/old/run"), { recursive: true });
    writeFileSync(
      join(root, "carol/old/run/experiment.json"),
      '{"name": "run", "prefix": "carol/old/run", "tags": []}',
    );
    mkdirSync(join(root, "dave/bad/run"), { recursive: true });
    writeFileSync(join(root, "dave/bad/run/experiment.json"), "{not json");

    const all = listRuns({ root });
    expect(all.runs.map((r) => [r.prefix, r.status])).toEqual([
      ["alice/nlp/bert", "FAILED"],
      ["alice/vision/resnet", "COMPLETED"],
      ["alice/vision/resnet/finetune", "COMPLETED"],
      ["alice/vision/sweep/lr-0.1", "COMPLETED"],
      ["bob/vision/vit", "RUNNING"],
      ["carol/old/run", "UNKNOWN"],
    ]);
    expect(all.unreadable).toEqual([
      { dir: join(root, "dave/bad/run"), problem: expect.stringContaining("cannot be read") },
    ]);
    expect(listRuns({ root, prefix: "alice/vision" }).runs).toHaveLength(3);
    expect(listRuns({ root, prefix: "alice/vis" }).runs).toHaveLength(0);
    expect(listRuns({ root, tag: "sweep" }).runs.map((r) => r.name)).toEqual(["lr-0.1"]);
    expect(listRuns({ root, status: "RUNNING" }).runs.map((r) => r.prefix)).toEqual(["bob/vision/vit"]);
    await open.complete();
    expect(listRuns({ root: join(root, "missing") }).runs).toEqual([]);
  });
});
