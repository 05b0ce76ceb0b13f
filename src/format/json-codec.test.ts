import { describe, expect, it } from "vitest";
import { TrackingValueError } from "../errors.js";
import { encodeJson, parseJson } from "./json-codec.js";

describe("encodeJson / parseJson", () => {
  it("writes NaN and ±Infinity as Python's json does, and reads them back", () => {
    const text = encodeJson({ loss: NaN, grad: Infinity, low: -Infinity, list: [1, NaN], ok: 0.5 });
    expect(text).toBe('{"loss":NaN,"grad":Infinity,"low":-Infinity,"list":[1,NaN],"ok":0.5}');
    const back = parseJson(text) as Record<string, unknown>;
    expect(back.loss).toBeNaN();
    expect(back.grad).toBe(Infinity);
    expect(back.low).toBe(-Infinity);
    expect((back.list as number[])[1]).toBeNaN();
    expect(back.ok).toBe(0.5);
  });

  it("leaves the words NaN and Infinity inside strings alone", () => {
    const value = { message: 'NaN and Infinity and -Infinity, "quoted NaN"', x: NaN };
    expect(parseJson(encodeJson(value))).toEqual({ message: value.message, x: NaN });
  });

  it("reads Python's spacing (ML-Dash's files)", () => {
    expect(parseJson('{"index": 3, "data": {"loss": NaN, "_ts": 1.5}}')).toEqual({
      index: 3,
      data: { loss: NaN, _ts: 1.5 },
    });
  });

  it("still rejects what is not JSON", () => {
    expect(() => parseJson("{loss: 1}")).toThrow(SyntaxError);
    expect(() => parseJson('{"a": nan}')).toThrow(SyntaxError);
  });

  it("leaves out undefined fields, as JSON.stringify does", () => {
    expect(encodeJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it.each([
    ["a function", { f: () => 1 }, "f is a function"],
    ["a bigint", { n: 10n }, "n is a bigint"],
    ["a symbol", { s: Symbol("x") }, "s is a symbol"],
    ["a Date", { when: new Date(0) }, "when is a Date"],
    ["a class instance", { m: new Map() }, "m is a Map"],
    ["a typed array", { t: new Float32Array(2) }, "t is a Float32Array"],
    ["a nested bad value", { a: { b: [1, () => 2] } }, "a.b[1] is a function"],
  ])("rejects %s with a typed error naming the field", (_what, value, message) => {
    const attempt = () => encodeJson(value);
    expect(attempt).toThrow(TrackingValueError);
    expect(attempt).toThrow(message);
  });

  it("rejects a cycle", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => encodeJson(cyclic)).toThrow(/nested more than 64 levels/);
  });
});
