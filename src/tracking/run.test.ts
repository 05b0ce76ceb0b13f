import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import {
  InvalidPrefixError,
  InvalidTrackingNameError,
  NoCurrentRunError,
  RunBusyError,
  RunNotFoundError,
  RunStateError,
  TrackingValueError,
} from "../errors.js";
import { parseJson } from "../format/json-codec.js";
import { Run } from "./run.js";
import { tracked } from "./tracked.js";
import { writeRunRecord, readRunRecord } from "../format/run-record.js";

const temp = tempDir("run");
afterAll(() => temp.cleanup());
let root: string;
let n = 0;
beforeEach(() => {
  root = join(temp.dir, `root-${++n}`);
});

const record = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "experiment.json"), "utf8")) as Record<string, any>;
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => parseJson(line) as Record<string, any>);

describe("Run lifecycle", () => {
  it("opens as RUNNING with ML-Dash's fields and labrun's, and completes with `await using`", async () => {
    let dir: string;
    {
      await using run = new Run({
        prefix: "alice/vision/sweeps/resnet",
        root,
        description: "baseline",
        tags: ["resnet"],
        bindrs: ["gpu-1"],
        metadata: { seed: 1 },
      });
      dir = run.dir;
      expect(dir).toBe(join(root, "alice", "vision", "sweeps", "resnet"));
      expect(record(dir)).toMatchObject({
        name: "resnet",
        project: "vision",
        description: "baseline",
        tags: ["resnet"],
        bindrs: ["gpu-1"],
        prefix: "alice/vision/sweeps/resnet",
        metadata: { seed: 1 },
        write_protected: false,
        labrunFormat: 1,
        status: "RUNNING",
        endedAt: null,
        pid: process.pid,
        heartbeatIntervalSec: 15,
        error: null,
      });
      expect(run.status).toBe("RUNNING");
    }
    const ended = record(dir);
    expect(ended.status).toBe("COMPLETED");
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(Date.parse(ended.startedAt));
    expect(Run.open("alice/vision/sweeps/resnet", { root }).status).toBe("COMPLETED");
  });

  it("tracked(): COMPLETED with the result, FAILED with the error recorded and rethrown", async () => {
    await expect(tracked({ prefix: "alice/p/ok", root }, async (run) => (run.log("hi"), 42))).resolves.toBe(
      42,
    );
    expect(Run.open("alice/p/ok", { root }).status).toBe("COMPLETED");

    const boom = new TrackingValueError("diverged");
    await expect(
      tracked({ prefix: "alice/p/bad", root }, (run) => {
        run.metrics("train").log({ loss: NaN });
        throw boom;
      }),
    ).rejects.toBe(boom);
    const info = Run.open("alice/p/bad", { root }).info();
    expect(info.status).toBe("FAILED");
    expect(info.error).toMatchObject({
      name: "TrackingValueError",
      message: "diverged",
      code: "TRACKING_VALUE",
    });
    // Data logged before the failure was flushed.
    const { points } = await Run.open("alice/p/bad", { root }).metrics("train").read();
    expect(points[0]!.data.loss).toBeNaN();
  });

  it("direct style: start() is idempotent; the first final status wins; a closed run takes no data", async () => {
    const run = new Run({ prefix: "alice/p/direct", root });
    expect(run.start()).toBe(run);
    await run.cancel("user stopped it");
    await run.complete();
    await run.fail(new Error("late"));
    expect(record(run.dir)).toMatchObject({
      status: "CANCELLED",
      statusReason: "user stopped it",
      error: null,
    });
    expect(() => run.log("late")).toThrow(RunStateError);
    expect(() => run.metrics("train").log({ loss: 1 })).toThrow(RunStateError);
    expect(() => run.params.set({ a: 1 })).toThrow(RunStateError);
    expect(() => run.start()).toThrow(RunStateError);
  });

  it("fail() without an Error records the reason", async () => {
    const run = new Run({ prefix: "alice/p/failed", root });
    await run.fail("out of budget");
    expect(record(run.dir)).toMatchObject({
      status: "FAILED",
      error: { name: "Error", message: "out of budget" },
    });
  });
});

describe("upsert / resume", () => {
  it("re-opening a prefix appends: indices, log numbers and params continue", async () => {
    await tracked({ prefix: "alice/p/long", root, tags: ["first"] }, (run) => {
      run.log("epoch 1");
      run.params.set({ lr: 0.1, model: { depth: 50 } });
      run.metrics("train").log({ loss: 0.5, epoch: 1 });
    });
    const created = record(join(root, "alice/p/long")).created_at;
    await tracked({ prefix: "alice/p/long", root }, (run) => {
      run.log("resuming");
      run.params.set({ lr: 0.01 });
      run.metrics("train").append([
        { loss: 0.3, epoch: 2 },
        { loss: 0.2, epoch: 3 },
      ]);
    });
    const dir = join(root, "alice/p/long");
    const again = record(dir);
    expect(again.created_at).toBe(created);
    expect(again.updated_at).toBeDefined();
    expect(again.tags).toEqual(["first"]); // kept when not given again
    expect(lines(join(dir, "metrics/train/data.jsonl")).map((p) => [p.index, p.data.epoch])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(lines(join(dir, "logs/logs.jsonl")).map((l) => [l.sequenceNumber, l.message])).toEqual([
      [0, "epoch 1"],
      [1, "resuming"],
    ]);
    expect(readFileSync(join(dir, "logs/.log_sequence"), "utf8")).toBe("2");
    expect(JSON.parse(readFileSync(join(dir, "metrics/train/metadata.json"), "utf8"))).toMatchObject({
      metricId: "local-metric-train",
      name: "train",
      totalDataPoints: 3,
      nextIndex: 3,
    });
    const params = JSON.parse(readFileSync(join(dir, "parameters.json"), "utf8"));
    expect(params).toMatchObject({ version: 2, data: { lr: 0.01, "model.depth": 50 } });
    expect(params.createdAt).toBeDefined();
  });

  it("refuses to take over a run a live process owns, and takes over a dead one", async () => {
    const dir = join(root, "alice/p/busy");
    const owner = new Run({ prefix: "alice/p/busy", root });
    expect(() => new Run({ prefix: "alice/p/busy", root })).toThrow(RunStateError); // same process
    await owner.complete();

    // Another live process (our parent) recorded as owner.
    const live = readRunRecord(dir)!;
    writeRunRecord(dir, { ...live, status: "RUNNING", pid: process.ppid, processStart: null });
    expect(() => new Run({ prefix: "alice/p/busy", root })).toThrow(RunBusyError);
    // Attaching is allowed and leaves the status alone.
    const guest = new Run({ prefix: "alice/p/busy", root, attach: true });
    guest.log("from the CLI");
    await guest.complete();
    expect(record(dir)).toMatchObject({ status: "RUNNING", pid: process.ppid });

    // A dead owner: the run is resumed.
    writeRunRecord(dir, { ...live, status: "RUNNING", pid: 2 ** 22 + 7, processStart: null });
    expect(Run.open({ dir }).info()).toMatchObject({
      status: "FAILED",
      died: true,
      statusReason: "process died",
    });
    const resumed = new Run({ prefix: "alice/p/busy", root });
    expect(record(dir)).toMatchObject({ status: "RUNNING", pid: process.pid });
    await resumed.complete();
  });
});

describe("Run.current and where runs live", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ["LABRUN_RUN_DIR", "LABRUN_RUN_PREFIX", "LABRUN_RUNS", "LABRUN_HOME"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("binds to LABRUN_RUN_DIR / LABRUN_RUN_PREFIX, the same Run on every call", async () => {
    const dir = join(root, "jobs/train/abc123/run");
    process.env.LABRUN_RUN_DIR = dir;
    process.env.LABRUN_RUN_PREFIX = "alice/exp/exp_20260101-000000/train";
    const run = Run.current();
    expect(Run.current()).toBe(run);
    expect(run.dir).toBe(dir);
    run.metrics("train").log({ loss: 1 });
    await run.complete();
    expect(record(dir)).toMatchObject({
      prefix: "alice/exp/exp_20260101-000000/train",
      name: "train",
      project: "exp",
      status: "COMPLETED",
    });
    expect(existsSync(join(dir, "metrics/train/data.jsonl"))).toBe(true);
  });

  it("says how to get a run when there is no launched job", () => {
    delete process.env.LABRUN_RUN_DIR;
    expect(() => Run.current()).toThrow(NoCurrentRunError);
    expect(() => Run.current()).toThrow(/new Run\(\{ prefix/);
  });

  it("defaults the root to $LABRUN_RUNS, else $LABRUN_HOME/runs", async () => {
    process.env.LABRUN_RUNS = join(root, "explicit");
    const a = new Run({ prefix: "alice/p/a" });
    expect(a.dir).toBe(join(root, "explicit/alice/p/a"));
    await a.complete();
    delete process.env.LABRUN_RUNS;
    process.env.LABRUN_HOME = join(root, "home");
    const b = new Run({ prefix: "alice/p/b" });
    expect(b.dir).toBe(join(root, "home/runs/alice/p/b"));
    await b.complete();
  });

  it("rejects a bad prefix before writing anything", () => {
    for (const prefix of ["../escape/x", "/etc/passwd", "alice//x", "alice"]) {
      expect(() => new Run({ prefix, root })).toThrow(InvalidPrefixError);
    }
    expect(existsSync(root)).toBe(false);
  });

  it("Run.open of a missing run is a typed error", () => {
    expect(() => Run.open("alice/p/nothing", { root })).toThrow(RunNotFoundError);
  });

  it("rejects non-serialisable metadata before writing anything", () => {
    expect(() => new Run({ prefix: "alice/p/meta", root, metadata: { f: (() => 1) as never } })).toThrow(
      TrackingValueError,
    );
    expect(existsSync(join(root, "alice/p/meta"))).toBe(false);
  });

  it("writes nothing outside the run's folder", async () => {
    await tracked({ prefix: "alice/p/contained", root }, async (run) => {
      expect(() => run.metrics("../../x").log({ a: 1 })).toThrow();
      expect(() => run.tracks("..").append({ a: 1 })).toThrow();
      run.tracks("../x").append({ a: 1 }); // "/" becomes "_": the folder is tracks/.._x
      expect(() => run.files("../..")).toThrow(InvalidTrackingNameError);
      await expect(run.files("m").save(new Uint8Array([1]), { name: "../x" })).rejects.toThrow(
        InvalidTrackingNameError,
      );
    });
    expect(readdirSync(root)).toEqual(["alice"]);
    expect(readdirSync(join(root, "alice/p"))).toEqual(["contained"]);
  });
});
