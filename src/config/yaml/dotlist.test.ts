import { describe, expect, it } from "vitest";
import { ConfigOverrideError } from "../../errors.js";
import { applyOverrides, parseOverride } from "./dotlist.js";

const apply = (config: Record<string, unknown>, ...overrides: string[]) => {
  applyOverrides(config, overrides.map(parseOverride));
  return config;
};

describe("parseOverride", () => {
  it("types values as YAML scalars", () => {
    const value = (text: string) => parseOverride(`k=${text}`).value;
    expect(value("1e-5")).toBe(1e-5);
    expect(value("64")).toBe(64);
    expect(value("true")).toBe(true);
    expect(value("null")).toBeNull();
    expect(value("")).toBeNull();
    expect(value("resize")).toBe("resize");
    expect(value('"64"')).toBe("64");
    expect(value("[1, two]")).toEqual([1, "two"]);
    expect(value("{a: 1}")).toEqual({ a: 1 });
    expect(value("a=b")).toBe("a=b");
  });

  it("rejects a missing '=', empty key segments and unparseable values", () => {
    for (const text of ["lr", "=1", "a..b=1", ".a=1", "a.=1", "x=[1"])
      expect(() => parseOverride(text), text).toThrow(ConfigOverrideError);
  });
});

describe("applyOverrides", () => {
  it("sets nested keys, creating maps on the way, and list items by index", () => {
    const config = apply(
      { model: { hidden: 8 }, data: { transforms: [{ name: "crop" }, { name: "flip" }] } },
      "model.hidden=512",
      "model.layers=6",
      "optimizer.lr=1e-4",
      "data.transforms.0.name=resize",
      "data.transforms.1=null",
    );
    expect(config).toEqual({
      model: { hidden: 512, layers: 6 },
      optimizer: { lr: 1e-4 },
      data: { transforms: [{ name: "resize" }, null] },
    });
  });

  it("treats a number as a map key where the value is a map", () => {
    expect(apply({ byYear: { "2024": 1 } }, "byYear.2025=2")).toEqual({ byYear: { "2024": 1, "2025": 2 } });
  });

  it("rejects an index out of range, a non-index into a list, and a path through a scalar", () => {
    const base = () => ({ list: [1, 2], lr: 0.1 });
    expect(() => apply(base(), "list.2=3")).toThrow(
      /list is a list of 2 item\(s\), so "2" must be an index from 0 to 1/,
    );
    expect(() => apply(base(), "list.first=3")).toThrow(ConfigOverrideError);
    expect(() => apply(base(), "lr.value=3")).toThrow(/lr holds 0.1, not a map or a list/);
  });
});
