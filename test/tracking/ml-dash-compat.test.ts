import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Run, tracked } from "../../src/index.js";
import { parseJson } from "../../src/format/json-codec.js";
import { tempDir } from "./helpers.js";

// The real ML-Dash 0.11.0 from PyPI, in .venv-compat/ (made by scripts/ensure-ml-dash-venv.mjs, which
// `npm test` runs first): runs labrun writes are read by ML-Dash, and runs ML-Dash writes are read by labrun.
const python = resolve(import.meta.dirname, "../../.venv-compat/bin/python");
const temp = tempDir("compat");
afterAll(() => temp.cleanup());

beforeAll(() => {
  if (!existsSync(python)) {
    throw new Error(`${python} is missing: run \`node scripts/ensure-ml-dash-venv.mjs\` (npm test does).`);
  }
});

/** Runs a Python script with ML-Dash; it writes its answer as JSON to the file `out`. */
function mlDash(name: string, body: string): any {
  const script = join(temp.dir, `${name}.py`);
  const out = join(temp.dir, `${name}.out.json`);
  writeFileSync(
    script,
    `import json, sys\nfrom ml_dash import Experiment\nOUT = ${JSON.stringify(out)}\n${body}\n`,
  );
  const result = spawnSync(python, [script], { cwd: temp.dir, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0)
    throw new Error(`${name}.py failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return existsSync(out) ? parseJson(readFileSync(out, "utf8")) : undefined;
}

describe("ML-Dash 0.11 reads runs labrun writes", () => {
  const prefix = "alice/vision/sweeps/resnet";
  const weights = "fake weights";

  beforeAll(async () => {
    const source = join(temp.dir, "model.pt");
    writeFileSync(source, weights);
    await tracked(
      { prefix, root: temp.dir, description: "written by labrun", tags: ["ts"], bindrs: ["gpu-1"] },
      async (run) => {
        run.params.set({ lr: 1e-3, model: { depth: 50, name: "resnet" }, budget: Infinity });
        run.log("training started", { level: "info", epoch: 0 });
        run.logs.warn("loss is NaN", { step: 2, loss: NaN });
        run.metrics("train").append([
          { loss: 0.5, step: 0 },
          { loss: 0.25, step: 1 },
          { loss: NaN, grad: Infinity, low: -Infinity, step: 2 },
        ]);
        run.metrics.log({ epoch: 1, eval: { acc: 0.75 } });
        run.tracks("robot/pos").append({ _ts: 1.5, x: 1, q: [1, 2] });
        await run.files("models").save(source);
        await run.files().save(Buffer.from("{}"), { name: "config.json" });
      },
    );
  });

  it("reads params, metrics, logs, tracks and files with ML-Dash's own API", () => {
    const got = mlDash(
      "read-labrun",
      `
import math
with Experiment(prefix=${JSON.stringify(prefix)}, dash_root=${JSON.stringify(temp.dir)}).run as exp:
    out = {
        "params": exp.params.get(),
        "nested": exp.params.get(flatten=False),
        "train": exp.metrics("train").read(start_index=0, limit=100),
        "eval": exp.metrics("eval").read(),
        "unnamed": exp.metrics("None").read(),
        "tracks": exp.tracks("robot/pos").read(),
        "files": [(f["path"], f["filename"], f["checksum"]) for f in exp.files.list()],
        "exists": exp.files("models/model.pt").exists(),
        "download": open(exp.files.download("models/model.pt", to=${JSON.stringify(join(temp.dir, "dl.pt"))})).read(),
        "nan": math.isnan(exp.metrics("train").read()["data"][2]["data"]["loss"]),
    }
# ML-Dash has no reader for logs in local mode; it writes and reads every JSON line with json.loads.
with open(${JSON.stringify(join(temp.dir, prefix, "logs/logs.jsonl"))}) as f:
    out["logs"] = [json.loads(line) for line in f]
json.dump(out, open(OUT, "w"))
`,
    );
    expect(got.params).toEqual({ lr: 0.001, "model.depth": 50, "model.name": "resnet", budget: Infinity });
    expect(got.nested).toEqual({ lr: 0.001, model: { depth: 50, name: "resnet" }, budget: Infinity });
    expect(got.train).toMatchObject({ startIndex: 0, endIndex: 2, total: 3, hasMore: false });
    expect(got.train.data.map((p: any) => [p.index, p.data.step])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(got.nan).toBe(true);
    expect(got.train.data[2].data).toMatchObject({ grad: Infinity, low: -Infinity });
    expect(got.eval.data[0].data).toMatchObject({ epoch: 1, acc: 0.75 });
    expect(got.unnamed.data[0].data).toMatchObject({ epoch: 1 });
    expect(got.tracks.entries).toEqual([{ timestamp: 1.5, x: 1, q: [1, 2] }]);
    expect(got.files).toEqual([
      ["/models", "model.pt", createHash("sha256").update(weights).digest("hex")],
      ["/", "config.json", createHash("sha256").update("{}").digest("hex")],
    ]);
    expect(got.exists).toBe(true);
    expect(got.download).toBe(weights);
    expect(got.logs.map((l: any) => [l.sequenceNumber, l.level, l.message])).toEqual([
      [0, "info", "training started"],
      [1, "warn", "loss is NaN"],
    ]);
    expect(got.logs[1].metadata.loss).toBeNaN();
  });

  it("ML-Dash appends to a labrun run, continuing its numbering and keeping labrun's status", async () => {
    mlDash(
      "append-labrun",
      `
with Experiment(prefix=${JSON.stringify(prefix)}, dash_root=${JSON.stringify(temp.dir)}).run as exp:
    exp.log("resumed by ml-dash", level="info")
    exp.metrics("train").log(loss=0.1, step=3)
`,
    );
    const reader = Run.open(prefix, { root: temp.dir });
    expect(reader.info()).toMatchObject({
      status: "COMPLETED",
      description: "written by labrun",
      tags: ["ts"],
    });
    const { points } = await reader.metrics("train").read();
    expect(points.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    const { records } = await reader.logs.read();
    expect(records.map((r) => [r.sequenceNumber, r.message])).toEqual([
      [0, "training started"],
      [1, "loss is NaN"],
      [2, "resumed by ml-dash"],
    ]);
  });
});

describe("labrun reads runs ML-Dash writes", () => {
  const prefix = "bob/nlp/bert/run-1";

  beforeAll(() => {
    writeFileSync(join(temp.dir, "vocab.txt"), "hello\nworld\n");
    mlDash(
      "write-mldash",
      `
with Experiment(prefix=${JSON.stringify(prefix)}, dash_root=${JSON.stringify(temp.dir)},
                readme="written by ml-dash", tags=["py"], bindrs=["team-a"]).run as exp:
    exp.params.set(lr=3e-4, optim={"name": "adam", "betas": [0.9, 0.999]}, nan=float("nan"))
    exp.log("hello from ml-dash", level="info", epoch=0)
    exp.logs.error("bad batch", batch=7)
    for i in range(5):
        exp.metrics("train").log(loss=1.0 / (i + 1), step=i)
    exp.metrics("train").log(loss=float("nan"), grad=float("inf"), step=5)
    exp.metrics.log(epoch=1, eval={"acc": 0.5})
    exp.tracks("robot/pos").append(x=1.0, _ts=2.0)
    exp.files("data").save(${JSON.stringify(join(temp.dir, "vocab.txt"))})
    exp.files("blobs").save(b"\\x00\\x01", to="raw.bin")
`,
    );
  });

  it("reads status, params, metrics, logs, tracks and files with Run.open", async () => {
    const reader = Run.open(prefix, { root: temp.dir });
    expect(reader.info()).toMatchObject({
      prefix,
      owner: "bob",
      project: "nlp",
      name: "run-1",
      description: "written by ml-dash",
      tags: ["py"],
      bindrs: ["team-a"],
      status: "UNKNOWN",
      died: false,
    });
    expect(reader.params.get()).toEqual({
      lr: 3e-4,
      "optim.name": "adam",
      "optim.betas": [0.9, 0.999],
      nan: NaN,
    });
    expect(reader.params.get({ flatten: false })).toEqual({
      lr: 3e-4,
      optim: { name: "adam", betas: [0.9, 0.999] },
      nan: NaN,
    });

    const train = await reader.metrics("train").read();
    expect(train).toMatchObject({ total: 6, torn: false, skipped: 0 });
    expect(train.points.map((p) => p.data.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(train.points[5]!.data.loss).toBeNaN();
    expect(train.points[5]!.data.grad).toBe(Infinity);
    expect(typeof train.points[0]!.data._ts).toBe("number");
    expect(
      (await reader.metrics("train").read({ maxPoints: 3, fields: ["loss"] })).points.length,
    ).toBeLessThanOrEqual(3);
    expect((await reader.metrics(null).read()).points[0]!.data).toMatchObject({ epoch: 1 });
    expect(reader.metrics.list().map((m) => [m.name, m.totalDataPoints])).toEqual([
      [null, 1],
      ["eval", 1],
      ["train", 6],
    ]);

    const logs = await reader.logs.read({ level: "error" });
    expect(logs.records).toEqual([
      {
        sequenceNumber: 1,
        timestamp: expect.stringMatching(/Z$/),
        level: "error",
        message: "bad batch",
        metadata: { batch: 7 },
      },
    ]);
    expect(await reader.tracks("robot/pos").read()).toEqual([{ timestamp: 2, x: 1 }]);

    // ML-Dash uploads files from several threads: the order of its file records varies from run to run.
    expect(
      reader
        .listFiles()
        .map((f) => [f.path, f.filename])
        .sort(),
    ).toEqual([
      ["/blobs", "raw.bin"],
      ["/data", "vocab.txt"],
    ]);
    const copy = await reader.files("data").download("vocab.txt", { to: join(temp.dir, "vocab-copy.txt") });
    expect(readFileSync(copy, "utf8")).toBe("hello\nworld\n");
    expect(readFileSync(reader.files("blobs").path("raw.bin"))).toEqual(Buffer.from([0, 1]));
  });

  it("labrun resumes an ML-Dash run, and ML-Dash reads what labrun added", async () => {
    await tracked({ prefix, root: temp.dir }, async (run) => {
      run.metrics("train").log({ loss: 0.05, step: 6 });
      run.log("resumed by labrun", { level: "warn" });
      run.params.set({ optim: { name: "sgd" } });
    });
    const got = mlDash(
      "read-resumed",
      `
with Experiment(prefix=${JSON.stringify(prefix)}, dash_root=${JSON.stringify(temp.dir)}).run as exp:
    train = exp.metrics("train").read()["data"]
    out = {"indices": [p["index"] for p in train], "last": train[-1]["data"], "params": exp.params.get()}
with open(${JSON.stringify(join(temp.dir, prefix, "logs/logs.jsonl"))}) as f:
    out["logs"] = [[r["sequenceNumber"], r["message"]] for r in map(json.loads, f)]
out["experiment"] = json.load(open(${JSON.stringify(join(temp.dir, prefix, "experiment.json"))}))
json.dump(out, open(OUT, "w"))
`,
    );
    expect(got.indices).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(got.last).toMatchObject({ loss: 0.05, step: 6 });
    expect(got.params["optim.name"]).toBe("sgd");
    expect(got.params["optim.betas"]).toEqual([0.9, 0.999]);
    expect(got.logs).toEqual([
      [0, "hello from ml-dash"],
      [1, "bad batch"],
      [2, "resumed by labrun"],
    ]);
    expect(got.experiment).toMatchObject({
      status: "COMPLETED",
      description: "written by ml-dash",
      tags: ["py"],
    });
  });
});
