import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { TrackingValueError } from "../errors.js";
import { Run } from "./run.js";
import { tracked } from "./tracked.js";

const temp = tempDir("tracks");
afterAll(() => temp.cleanup());

describe("tracks", () => {
  it("merges entries with the same _ts, sorts each batch and flattens fields, as ML-Dash does", async () => {
    await tracked({ prefix: "alice/p/robot", root: temp.dir }, (run) => {
      run.tracks("robot/pos").append({ _ts: 2.5, y: 3 });
      run.tracks("robot/pos").append({ _ts: 1.5, x: 1, q: [1, 2], pose: { a: 1 } });
      run.tracks("robot/pos").append({ _ts: -1, y: 2 });
      run.tracks("camera").append({ frame: 1 });
    });
    const dir = join(temp.dir, "alice/p/robot/tracks");
    expect(readFileSync(join(dir, "robot_pos/data.jsonl"), "utf8")).toBe(
      '{"timestamp":1.5,"x":1,"q":[1,2],"pose.a":1,"y":2}\n{"timestamp":2.5,"y":3}\n',
    );
    expect(JSON.parse(readFileSync(join(dir, "robot_pos/metadata.json"), "utf8"))).toMatchObject({
      trackId: "local-track-robot_pos",
      topic: "robot/pos",
      columns: ["pose.a", "q", "x", "y"],
      totalEntries: 2,
      firstTimestamp: 1.5,
      lastTimestamp: 2.5,
    });
    const reader = Run.open("alice/p/robot", { root: temp.dir });
    expect(reader.tracks.list().sort()).toEqual(["camera", "robot/pos"]);
    expect(await reader.tracks("robot/pos").read({ from: 2 })).toEqual([{ timestamp: 2.5, y: 3 }]);
  });

  it("rejects entries that are not objects of JSON values", async () => {
    await tracked({ prefix: "alice/p/badtrack", root: temp.dir }, (run) => {
      expect(() => run.tracks("t").append(null as never)).toThrow(TrackingValueError);
      expect(() => run.tracks("t").append({ f: Symbol("x") as never })).toThrow(TrackingValueError);
      expect(() => run.tracks("t").append({ _ts: NaN, x: 1 })).toThrow(TrackingValueError);
    });
    expect(Run.open("alice/p/badtrack", { root: temp.dir }).tracks.list()).toEqual([]);
  });
});
