import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExperimentExistsError } from "../errors.js";
import { Workspace } from "../workspace/workspace.js";
import { experimentIdFor, reserveExperimentDir } from "./experiment-id.js";

const root = mkdtempSync(join(tmpdir(), "labrun-id-"));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("experiment ids", () => {
  it("are <title>_<YYYYMMDD-HHMMSS> with the title made safe for paths", () => {
    expect(experimentIdFor("mnist-sweep", new Date(2026, 0, 2, 3, 4, 5))).toBe("mnist-sweep_20260102-030405");
    expect(experimentIdFor("My Experiment/v2", new Date(2026, 10, 23, 11, 0, 0))).toBe(
      "My-Experiment-v2_20261123-110000",
    );
  });

  it("get a suffix when the same id is taken, but an id the user chose is never changed", () => {
    const ws = new Workspace(root);
    const first = reserveExperimentDir(ws, "t", "t_20260101-000000", { fixedId: false });
    const second = reserveExperimentDir(ws, "t", "t_20260101-000000", { fixedId: false });
    expect([first.id, second.id]).toEqual(["t_20260101-000000", "t_20260101-000000-2"]);
    expect(() => reserveExperimentDir(ws, "t", "t_20260101-000000", { fixedId: true })).toThrow(
      ExperimentExistsError,
    );
    expect(reserveExperimentDir(ws, "t", "t_20260101-000000", { fixedId: true, existOk: true }).id).toBe(
      "t_20260101-000000",
    );
  });
});
