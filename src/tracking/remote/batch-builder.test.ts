import { describe, expect, it } from "vitest";
import { BatchBuilder } from "./batch-builder.js";
import { stringifyWire } from "../../format/wire-json.js";

describe("BatchBuilder", () => {
  it("builds the RunBatch JSON of what was added, then starts empty", () => {
    const builder = new BatchBuilder();
    expect(builder.empty).toBe(true);
    builder.setParams({ lr: 0.1 });
    builder.setParams({ lr: 0.2, depth: 3 });
    builder.addPoints("train", ['{"fields":{"loss":1},"ts":1}', '{"fields":{"loss":0.5},"ts":2}']);
    builder.addPoints("", ['{"fields":{"epoch":1},"ts":3}']);
    builder.addLog('{"level":"info","message":"hi","timestamp":"2026-01-01T00:00:00.000Z"}');
    builder.setTags(["a"]);
    builder.setStatus({ status: "COMPLETED" });
    expect(builder.items).toBe(4);
    const cut = builder.cut(stringifyWire);
    expect(cut.hasStatus).toBe(true);
    expect(JSON.parse(`{${cut.body}}`)).toEqual({
      params: { lr: 0.2, depth: 3 },
      metrics: [
        {
          stream: "train",
          points: [
            { fields: { loss: 1 }, ts: 1 },
            { fields: { loss: 0.5 }, ts: 2 },
          ],
        },
        { stream: "", points: [{ fields: { epoch: 1 }, ts: 3 }] },
      ],
      logs: [{ level: "info", message: "hi", timestamp: "2026-01-01T00:00:00.000Z" }],
      tags: ["a"],
      status: { status: "COMPLETED" },
    });
    expect(builder.empty).toBe(true);
    expect(builder.cut(stringifyWire).body).toBe("");
  });

  it("writes non-finite numbers as their names, at any depth", () => {
    const fields = { a: { b: 1, c: { d: NaN } }, list: [1, [-Infinity]], n: null, u: undefined, x: NaN };
    expect(stringifyWire(fields)).toBe(
      '{"a":{"b":1,"c":{"d":"NaN"}},"list":[1,["-Infinity"]],"n":null,"x":"NaN"}',
    );
    expect(stringifyWire({ p: Infinity, q: -Infinity })).toBe('{"p":"Infinity","q":"-Infinity"}');
  });
});
