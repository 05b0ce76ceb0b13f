import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { TrackingValueError } from "../errors.js";
import { flattenParams, unflattenParams } from "./params.js";
import { Run } from "./run.js";

const temp = tempDir("params");
afterAll(() => temp.cleanup());

describe("params", () => {
  it("flattens nested objects to dot keys (ML-Dash's flatten_dict) and back", () => {
    const nested = { lr: 0.001, model: { depth: 50, layers: { hidden: [128, 64] } }, name: "r" };
    const flat = flattenParams(nested);
    expect(flat).toEqual({ lr: 0.001, "model.depth": 50, "model.layers.hidden": [128, 64], name: "r" });
    expect(unflattenParams(flat)).toEqual(nested);
    // A key that is both a leaf and a parent keeps the deeper key flat, whatever the order.
    expect(unflattenParams({ "a.b": 2, a: 1 })).toEqual({ a: 1, "a.b": 2 });
  });

  it("merges each set into parameters.json at once, with version and times", async () => {
    const run = new Run({ prefix: "alice/p/params", root: temp.dir });
    run.params.set({ lr: 1e-3, model: { depth: 50, name: "resnet" }, bad: NaN });
    run.params.log({ model: { depth: 101 } });
    const file = JSON.parse(readFileSync(join(run.dir, "parameters.json"), "utf8").replace("NaN", "null"));
    expect(file).toMatchObject({
      version: 2,
      data: { lr: 0.001, "model.depth": 101, "model.name": "resnet", bad: null },
    });
    expect(file.createdAt <= file.updatedAt).toBe(true);
    expect(run.params.get()).toEqual({ lr: 0.001, "model.depth": 101, "model.name": "resnet", bad: NaN });
    expect(run.params.get({ flatten: false })).toEqual({
      lr: 0.001,
      model: { depth: 101, name: "resnet" },
      bad: NaN,
    });
    expect(() => run.params.set({ when: new Date() })).toThrow(TrackingValueError);
    expect(() => run.params.set("lr=1" as never)).toThrow(TrackingValueError);
    expect(run.params.get()).not.toHaveProperty("when");
    await run.complete();
    expect(Run.open("alice/p/params", { root: temp.dir }).params.get({ flatten: false })).toMatchObject({
      model: { depth: 101 },
    });
  });
});
