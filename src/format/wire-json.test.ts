import { describe, expect, it } from "vitest";
import { decodeWireDeep, decodeWireValue, isNonFiniteName, stringifyWire } from "./wire-json.js";

describe("wire JSON", () => {
  it("writes non-finite numbers as their names, at any depth, and reads them back", () => {
    const value = { loss: NaN, nested: { up: Infinity, list: [1, -Infinity] }, name: "x" };
    const text = stringifyWire(value);
    expect(text).toBe('{"loss":"NaN","nested":{"up":"Infinity","list":[1,"-Infinity"]},"name":"x"}');
    expect(decodeWireDeep(JSON.parse(text))).toEqual(value);
    expect(stringifyWire({ a: NaN }, 2)).toBe('{\n  "a": "NaN"\n}');
  });

  it("leaves other strings alone, Object.prototype's names included", () => {
    for (const name of ["constructor", "toString", "__proto__", "nan", "inf"]) {
      expect(isNonFiniteName(name)).toBe(false);
      expect(decodeWireValue(name)).toBe(name);
    }
  });
});
