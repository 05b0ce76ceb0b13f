import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineTask, Experiment, meta, TaskValidationError, z } from "../src/index.js";
import type { JobStatus } from "../src/index.js";
import { Prepare, Train } from "./fixtures/typed-tasks.js";
import { repoRoot, tempWorkspace } from "./helpers.js";

// (no import.meta here: Vite's SSR transform confuses it with the imported `meta`)
const fixtures = join(repoRoot, "test", "fixtures");
let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("typed");
});
afterEach(() => ws.cleanup());

const newExperiment = (title = "typed") => new Experiment(title, { baseDir: ws.root, cleanMode: true });
const runsIn = (job: JobStatus) =>
  existsSync(join(job.directory, "runs"))
    ? readFileSync(join(job.directory, "runs"), "utf8").trim().split("\n").length
    : 0;

describe("typed task identities", () => {
  const Model = defineTask("model", {
    params: z.object({
      lr: z.number(),
      layers: z.array(z.number()).default([64, 64]),
      opt: z.object({
        name: z.string(),
        momentum: z.number().default(0.9),
        logEvery: meta(z.number().default(10)),
      }),
      workers: meta(z.number().default(4)),
    }),
    command: () => ["true"],
  });

  it("do not depend on key order, number spelling, defaults or meta fields", () => {
    const a = Model({ lr: 0.001, opt: { name: "sgd" } });
    const b = Model({
      opt: { momentum: 0.9, name: "sgd", logEvery: 99 },
      layers: [64, 64],
      lr: 1e-3,
      workers: 16,
    });
    expect(b.identity).toBe(a.identity);
    expect(Model({ lr: 0.002, opt: { name: "sgd" } }).identity).not.toBe(a.identity);
    expect(Model({ lr: 0.001, opt: { name: "sgd", momentum: 0.8 } }).identity).not.toBe(a.identity);
  });

  it("stay the same across versions (golden file)", () => {
    const golden = JSON.parse(readFileSync(join(fixtures, "golden-identities.json"), "utf8")) as {
      cases: { label: string; identity: string }[];
    };
    const identityOf = (label: string) => golden.cases.find((c) => c.label === label)?.identity;
    const prepare = Prepare({ n: 3 });
    const Net = defineTask("net", {
      params: z.object({
        layers: z.array(z.object({ size: z.number(), dropout: meta(z.number().default(0)) })),
        name: z.string(),
      }),
      command: () => ["true"],
    });
    const built = {
      "model lr=0.001 sgd": Model({ lr: 0.001, opt: { name: "sgd" } }).identity,
      "prepare n=3": prepare.identity,
      "train lr=0.1 on prepare n=3": Train({ lr: 0.1, data: prepare }).identity,
      "net layers with meta dropout in each element": Net({
        name: "mlp",
        layers: [{ size: 8, dropout: 0.3 }, { size: 4 }],
      }).identity,
    };
    for (const [label, identity] of Object.entries(built)) expect(identity, label).toBe(identityOf(label));
  });

  it("include the identity of tasks given as parameters", () => {
    expect(Train({ lr: 0.1, data: Prepare({ n: 3 }) }).identity).not.toBe(
      Train({ lr: 0.1, data: Prepare({ n: 4 }) }).identity,
    );
    expect(Train({ lr: 0.1, data: Prepare({ n: 3, verbose: true }) }).identity).toBe(
      Train({ lr: 0.1, data: Prepare({ n: 3 }) }).identity,
    );
  });

  it("reject invalid parameters with a typed error naming the field", () => {
    expect(() => Model({ lr: "fast" as never, opt: { name: "sgd" } })).toThrow(TaskValidationError);
    expect(() => Train({ lr: 0.1, data: "not a task" as never })).toThrow(
      /data: expected an instance of task "prepare"/,
    );
    try {
      Model({ lr: 1, opt: {} as never });
    } catch (error) {
      expect((error as TaskValidationError).code).toBe("TASK_VALIDATION");
      expect((error as Error).message).toMatch(/opt\.name/);
    }
  });
});

describe("typed tasks in an experiment", () => {
  it("add their task parameters as dependencies and get their job directories", async () => {
    const exp = newExperiment();
    const prepare = Prepare({ n: 5 });
    exp.add(Train({ lr: 0.1, data: prepare }), { name: "train-a" });
    exp.add(Train({ lr: 0.2, data: prepare }), { name: "train-b" });
    const result = await exp.run();
    expect(result.ok).toBe(true);
    expect(result.jobs.map((j) => j.name)).toEqual(["prepare", "train-a", "train-b"]);
    const jobs = await exp.status({ returnDict: true });
    expect(jobs["train-a"]!.dependencies).toEqual(["prepare"]);
    expect(jobs.prepare!.directory).toBe(join(ws.root, "jobs", "prepare", prepare.identity));
    expect(await exp.logs("train-b", { print: false })).toEqual(["lr=0.2 rows=5"]);
    expect(runsIn(jobs.prepare!)).toBe(1);
  });

  it("reuse a COMPLETED job of an earlier experiment instead of running it again; force runs it again", async () => {
    const first = newExperiment();
    first.add(Prepare({ n: 2 }), { name: "prep" });
    await first.run();

    const second = newExperiment();
    second.add(Prepare({ n: 2 }), { name: "prep" });
    second.add(Prepare({ n: 3 }), { name: "other" });
    expect((await second.run()).ok).toBe(true);
    const jobs = await second.status({ returnDict: true });
    expect(runsIn(jobs.prep!)).toBe(1); // reused
    expect(runsIn(jobs.other!)).toBe(1);
    const entries = (
      JSON.parse(readFileSync(join(second.dir!, "experiment.json"), "utf8")) as {
        jobs: { reused?: boolean }[];
      }
    ).jobs;
    expect(entries.map((e) => e.reused ?? false)).toEqual([true, false]);
    // The first experiment still reads its own job under its own name.
    expect(
      Object.keys(
        await (
          await Experiment.fromId(first.id, { baseDir: ws.root, cleanMode: true })
        ).status({ returnDict: true }),
      ),
    ).toEqual(["prep"]);

    const forced = newExperiment();
    forced.add(Prepare({ n: 2 }), { name: "prep", force: true });
    await forced.run();
    expect(runsIn((await forced.status({ returnDict: true })).prep!)).toBe(2);

    const forcedAll = newExperiment();
    forcedAll.add(Prepare({ n: 2 }), { name: "prep" });
    await forcedAll.run({ force: true });
    expect(runsIn((await forcedAll.status({ returnDict: true })).prep!)).toBe(3);
  });

  it("run a job that failed before again in a new experiment", async () => {
    // Prepare's command fails while <workspace>/jobs/fail-prepare exists.
    mkdirSync(join(ws.root, "jobs"), { recursive: true });
    writeFileSync(join(ws.root, "jobs", "fail-prepare"), "");
    const failing = newExperiment();
    failing.add(Prepare({ n: 1 }), { name: "prep" });
    expect((await failing.run()).ok).toBe(false);
    rmSync(join(ws.root, "jobs", "fail-prepare"));

    const again = newExperiment();
    again.add(Prepare({ n: 1 }), { name: "prep" });
    expect((await again.run()).ok).toBe(true);
    expect(runsIn((await again.status({ returnDict: true })).prep!)).toBe(2);
  });

  it("adding the same work twice gives one job", () => {
    const exp = newExperiment();
    const a = exp.add(Prepare({ n: 7 }), { name: "p" });
    expect(exp.add(Prepare({ n: 7, verbose: true }))).toBe(a);
    expect(exp.jobs).toHaveLength(1);
  });
});
