import { describe, expect, it } from "vitest";
import { integralFloatKeys } from "./ml-dash-float-fields.js";

describe("integralFloatKeys", () => {
  it("finds the keys written with an integral float literal, not ints, other floats or the time key", () => {
    const text = JSON.stringify({ dataPoints: [{ a: 0.5, b: 2, _ts: 3 }] })
      .replace('"_ts":3', '"_ts":3.0')
      .replace("}]", ', "loss": 1.0, "big" :1e+16, "x\\"y": -20.00, "e": 2.5e3, "f": 1.05, "g": 0.25e1 }]');
    expect([...integralFloatKeys(text, "_ts")].sort()).toEqual(["big", "e", "loss", 'x"y']);
  });

  it("ignores numbers inside strings and array items", () => {
    expect([...integralFloatKeys('{"note": "loss: 1.0, ok", "list": [1.0, 2.0], "n": 3}', "_ts")]).toEqual(
      [],
    );
  });
});
