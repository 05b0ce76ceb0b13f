import { afterEach, beforeEach, describe, expect, it } from "vitest";
// Only the source: it must bring the built-in task and executor kinds itself (a server imports nothing else).
import { WorkspaceSource } from "../../src/server/dashboard/workspace-source.js";
import { writeFakeExperiment } from "../index/fake-workspace.js";
import { tempWorkspace } from "../helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("workspace-source");
});
afterEach(() => ws.cleanup());

describe("WorkspaceSource", () => {
  it("lists and opens experiments written by a driver, with their jobs, in a process that imported only it", async () => {
    writeFakeExperiment(ws.root, {
      title: "sweep",
      id: "sweep_20260101-000000",
      host: "gpu-1",
      createdAt: "2026-01-01T00:00:00.000Z",
      jobs: ["COMPLETED", "FAILED", "CANCELLED"],
      finished: true,
    });
    const source = new WorkspaceSource(ws.root);
    const {
      experiments: [row],
      warnings,
    } = await source.listExperiments();
    expect(warnings).toEqual([]);
    expect(row).toMatchObject({ id: "sweep_20260101-000000", host: "gpu-1", state: "FAILED" });
    expect(row!.jobs).toMatchObject({ COMPLETED: 1, FAILED: 1, CANCELLED: 1, total: 3 });
    const detail = await source.experiment("sweep_20260101-000000");
    expect(detail.jobList.map((j) => [j.name, j.state, j.executor])).toEqual([
      ["step-0", "COMPLETED", "local"],
      ["step-1", "FAILED", "local"],
      ["step-2", "CANCELLED", "local"],
    ]);
    await expect(source.experiment("nope")).rejects.toMatchObject({ code: "EXPERIMENT_NOT_FOUND" });
    await expect(source.run("../../etc")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
  });
});
