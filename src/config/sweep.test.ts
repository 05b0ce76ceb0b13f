import { describe, expect, it } from "vitest";
import { ExperimentStateError } from "../errors.js";
import { grid, zip } from "./sweep.js";

describe("sweeps", () => {
  it("grid gives every combination, named after its values", () => {
    expect(grid({ lr: [0.001, 0.0001], bs: [32, 64] })).toEqual([
      { values: { lr: 0.001, bs: 32 }, name: "lr=0.001,bs=32" },
      { values: { lr: 0.001, bs: 64 }, name: "lr=0.001,bs=64" },
      { values: { lr: 0.0001, bs: 32 }, name: "lr=0.0001,bs=32" },
      { values: { lr: 0.0001, bs: 64 }, name: "lr=0.0001,bs=64" },
    ]);
    expect(grid({ model: ["resnet"], aug: [true, false] }).map((p) => p.name)).toEqual([
      "model=resnet,aug=true",
      "model=resnet,aug=false",
    ]);
  });

  it("zip pairs the i-th values and refuses lists of different lengths", () => {
    expect(zip({ lr: [0.1, 0.01], warmup: [100, 1000] }).map((p) => p.values)).toEqual([
      { lr: 0.1, warmup: 100 },
      { lr: 0.01, warmup: 1000 },
    ]);
    expect(() => zip({ lr: [0.1, 0.01], warmup: [100] })).toThrow(ExperimentStateError);
    expect(() => zip({ lr: [0.1, 0.01], warmup: [100] })).toThrow(/lr: 2, warmup: 1/);
  });

  it("rejects empty axes", () => {
    expect(() => grid({})).toThrow(/at least one key/);
    expect(() => grid({ lr: [] })).toThrow(/"lr" needs a non-empty list/);
  });
});
