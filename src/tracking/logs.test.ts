import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { InvalidRegexError, TrackingValueError } from "../errors.js";
import { Run } from "./run.js";
import { tracked } from "./tracked.js";

const temp = tempDir("logs");
afterAll(() => temp.cleanup());

describe("logs", () => {
  it("writes ML-Dash's records: sequenceNumber, timestamp, level, message, metadata (left out when empty)", async () => {
    await tracked({ prefix: "alice/p/logs", root: temp.dir }, (run) => {
      run.log("started");
      run.log("GPU memory low", { level: "WARN", freeGb: 1.5 });
      run.log("with metadata", { level: "debug", metadata: { a: 1 }, b: 2 });
      run.logs.info("epoch done", { epoch: 1 });
      run.logs.error("oops");
      run.logs.fatal("dead", { code: 9 });
      run.logs.write("warn", "by name");
      expect(() => run.log("x", { level: "verbose" })).toThrow(TrackingValueError);
      expect(() => run.log(42 as never)).toThrow(TrackingValueError);
    });
    const dir = join(temp.dir, "alice/p/logs");
    const lines = readFileSync(join(dir, "logs/logs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      sequenceNumber: 0,
      timestamp: expect.stringMatching(/Z$/),
      level: "info",
      message: "started",
    });
    expect(lines[1]).toMatchObject({ sequenceNumber: 1, level: "warn", metadata: { freeGb: 1.5 } });
    expect(lines[2]).toMatchObject({ level: "debug", metadata: { a: 1, b: 2 } });
    expect(lines.map((l) => l.level)).toEqual(["info", "warn", "debug", "info", "error", "fatal", "warn"]);
  });

  it("reads with a minimum level, exact levels, a regex and a tail", async () => {
    await tracked({ prefix: "alice/p/read", root: temp.dir }, (run) => {
      for (let i = 0; i < 50; i++) run.logs.info(`step ${i}`, { i });
      run.logs.warn("loss spiked at step 30");
      run.logs.error("NaN loss");
      run.logs.debug("details");
    });
    const logs = Run.open("alice/p/read", { root: temp.dir }).logs;
    expect((await logs.read({ level: "warn" })).records.map((r) => r.message)).toEqual([
      "loss spiked at step 30",
      "NaN loss",
    ]);
    expect((await logs.read({ level: ["debug", "error"] })).records.map((r) => r.level)).toEqual([
      "error",
      "debug",
    ]);
    expect((await logs.read({ regex: /^step 4\d$/ })).records).toHaveLength(10);
    expect((await logs.read({ regex: "step", tail: 2 })).records.map((r) => r.message)).toEqual([
      "step 49",
      "loss spiked at step 30",
    ]);
    expect((await logs.read({ tail: 1 })).records[0]!.message).toBe("details");
    await expect(logs.read({ regex: "(" })).rejects.toThrow(InvalidRegexError);
  });
});

describe("two writers on one run", () => {
  it("continue each other's log numbering (an owner and an attached writer)", async () => {
    const owner = new Run({ prefix: "alice/p/shared", root: temp.dir });
    const guest = new Run({ prefix: "alice/p/shared", dir: owner.dir, attach: true });
    for (let i = 0; i < 3; i++) {
      owner.logs.info(`owner ${i}`);
      await owner.flush();
      guest.logs.info(`guest ${i}`);
      await guest.flush();
    }
    await guest.complete();
    await owner.complete();
    const { records } = await Run.open({ dir: owner.dir }).logs.read();
    expect(records.map((r) => r.sequenceNumber)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(records.map((r) => r.message)).toEqual([
      "owner 0",
      "guest 0",
      "owner 1",
      "guest 1",
      "owner 2",
      "guest 2",
    ]);
  });
});
