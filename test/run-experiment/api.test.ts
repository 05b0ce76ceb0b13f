import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigFileError,
  ConfigOverrideError,
  ConfigParentCycleError,
  ConfigValueError,
  ExperimentFileError,
  InvalidRunModeError,
  LocalExecutor,
  UnknownConfigKeyError,
  runExperiment,
  showConfiguration,
} from "../../src/index.js";
import type { ExperimentInformations, GeneratedJob } from "../../src/index.js";
import { tempWorkspace } from "../helpers.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "yaml");
const mainYaml = join(fixtures, "experiment.yaml");
let ws: ReturnType<typeof tempWorkspace>;
let scratch: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("yaml-api");
  scratch = tempWorkspace("yaml-files");
});
afterEach(() => {
  ws.cleanup();
  scratch.cleanup();
});

const run = (extra: Partial<Parameters<typeof runExperiment>[0]>) =>
  runExperiment({
    workspace: ws.root,
    cleanMode: true,
    executor: new LocalExecutor({ maxParallel: 4 }),
    yamlFile: mainYaml,
    warn: () => undefined,
    ...extra,
  });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** A YAML file in a scratch folder that runs the fixture experiment. */
function yaml(name: string, text: string): string {
  const file = join(scratch.root, name);
  writeFileSync(file, `file: ${join(fixtures, "experiment")}\n${text}`);
  return file;
}

describe("runExperiment (API)", () => {
  it("NORMAL runs the jobs run() added and records informations.json", async () => {
    const result = await run({ overrides: ["learning_rates=[0.2, 0.4]", "model.hidden=32"] });
    expect(result.ok).toBe(true);
    expect(result.runMode).toBe("NORMAL");
    expect(result.id).toBe("yaml-test");
    expect(result.experimentId).toMatch(/^yaml-test_\d{8}-\d{6}/);
    expect(result.results.map((r) => r.state)).toEqual(["COMPLETED"]);
    expect(result.results[0]!.jobs.map((job) => job.name)).toEqual(["prep", "train-lr=0.2", "train-lr=0.4"]);
    const info = JSON.parse(
      readFileSync(join(result.dir!, "informations.json"), "utf8"),
    ) as ExperimentInformations;
    expect(info).toMatchObject({
      id: "yaml-test",
      experimentId: result.experimentId,
      title: "YAML runner test",
      runMode: "NORMAL",
      overrides: ["learning_rates=[0.2, 0.4]", "model.hidden=32"],
      yamlFiles: [join(fixtures, "root.yaml"), join(fixtures, "base.yaml"), mainYaml],
      configuration: { epochs: 2, model: { hidden: 32, layers: 1 }, learning_rates: [0.2, 0.4] },
    });
    expect(info.hostname).toBeTruthy();
    expect(info.user).toBeTruthy();
    expect(new Date(info.startedAt).getTime()).toBeLessThanOrEqual(Date.now());
    expect(info.git).toMatchObject({ commit: expect.any(String), dirty: expect.any(Boolean) });
    expect(existsSync(join(result.dir!, "experiment.json"))).toBe(true);
  });

  it("NORMAL is not ok when a job fails", async () => {
    const result = await run({ overrides: ["failing_lr=0.01"] });
    expect(result.ok).toBe(false);
    expect(result.results[0]!.jobs.find((job) => job.name === "train-lr=0.01")).toMatchObject({
      state: "FAILED",
      exitCode: 3,
    });
  });

  it("keeps the result of an experiment file that calls run() itself, and launches it only once", async () => {
    const result = await run({ overrides: ["run_itself=true"] });
    expect(result.ok).toBe(true);
    expect(result.results).toHaveLength(1);
    expect(readdirSync(join(ws.root, "experiments", "yaml-test"))).toHaveLength(1);
  });

  it("DRY_RUN lists identities, states and dependencies and writes no job directory", async () => {
    const result = await run({ runMode: "dry-run" });
    expect(result.runMode).toBe("DRY_RUN");
    expect(result.jobs.map(({ name, state, dependencies }) => ({ name, state, dependencies }))).toEqual([
      { name: "prep", state: "new", dependencies: [] },
      { name: "train-lr=0.1", state: "new", dependencies: ["prep"] },
      { name: "train-lr=0.01", state: "new", dependencies: ["prep"] },
    ]);
    for (const job of result.jobs) expect(job.identity).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(ws.root, "jobs"))).toBe(false);
    // No experiment directory either, nor an empty folder for its title (5f23732).
    expect(existsSync(join(ws.root, "experiments", "yaml-test"))).toBe(false);
  });

  it("GENERATE writes run.sh and params.json without running anything", async () => {
    const result = await run({ runMode: "GENERATE", overrides: ["learning_rates=[0.5]"] });
    const jobs = result.jobs as GeneratedJob[];
    expect(jobs.map((job) => job.name)).toEqual(["prep", "train-lr=0.5"]);
    for (const job of jobs) {
      expect(readFileSync(job.script, "utf8")).toMatch(/^#!\/bin\/bash\n/);
      expect(JSON.parse(readFileSync(job.params, "utf8"))).toMatchObject({ kind: "script" });
      expect(existsSync(join(job.jobDir, "job.json"))).toBe(false);
      expect(existsSync(join(job.jobDir, "seen.txt"))).toBe(false);
    }
  });

  it("starts services in NORMAL mode and stops them at the end; DRY_RUN starts none", async () => {
    const log = join(scratch.root, "services.log");
    await run({ overrides: [`service_log=${log}`] });
    expect(readFileSync(log, "utf8")).toBe("start NORMAL\nstop\n");
    await run({ overrides: [`service_log=${log}`], runMode: "DRY_RUN" });
    expect(readFileSync(log, "utf8")).toBe("start NORMAL\nstop\n");
  });

  it("throws a typed error for each kind of bad input, before anything runs", async () => {
    const cases: [string, () => Promise<unknown>, new (...args: never[]) => Error, RegExp][] = [
      [
        "missing id",
        () => run({ yamlFile: yaml("no-id.yaml", "epochs: 1\n") }),
        ConfigValueError,
        /`id` is required/,
      ],
      [
        "file and module",
        () => run({ yamlFile: yaml("both.yaml", "id: x\nmodule: a.b\n") }),
        ConfigValueError,
        /Both `file` \(.*both\.yaml:1\) and `module` \(.*both\.yaml:3\)/,
      ],
      [
        "missing parent",
        () => run({ yamlFile: yaml("orphan.yaml", "id: x\nparent: nowhere.yaml\n") }),
        ConfigFileError,
        /orphan\.yaml:3 \(parent\): YAML file .*nowhere\.yaml does not exist/,
      ],
      [
        "parent cycle",
        () => run({ yamlFile: join(fixtures, "cycle-a.yaml") }),
        ConfigParentCycleError,
        /cycle-a\.yaml → /,
      ],
      ["bad -c path", () => run({ overrides: ["epochs.max=3"] }), ConfigOverrideError, /epochs holds 2/],
      ["bad -c syntax", () => run({ overrides: ["epochs"] }), ConfigOverrideError, /"=" is missing/],
      [
        "schema rejects",
        () => run({ yamlFile: yaml("bad-value.yaml", "id: x\nepochs: -1\n") }),
        ConfigValueError,
        /bad-value\.yaml:3: epochs: .*\(got -1\)/,
      ],
      [
        "unknown key",
        () => run({ yamlFile: yaml("typo.yaml", "id: x\nlearning_rate: [1]\n") }),
        UnknownConfigKeyError,
        /typo\.yaml:3: unknown configuration key "learning_rate"; did you mean "learning_rates"\?/,
      ],
      ["bad run mode", () => run({ runMode: "SOMETIMES" }), InvalidRunModeError, /Run mode "SOMETIMES"/],
      [
        "missing experiment file",
        () =>
          run({
            yamlFile: (writeFileSync(join(scratch.root, "e.yaml"), "id: x\n"), join(scratch.root, "e.yaml")),
          }),
        ExperimentFileError,
        /experiment file .*experiment does not exist \(looked for .*experiment\.ts, .*experiment\.js, .*experiment\.mjs, .*experiment\.py\)/,
      ],
    ];
    for (const [what, start, type, message] of cases) {
      const error = await rejection(start());
      expect(error, what).toBeInstanceOf(type);
      expect(error.message, what).toMatch(message);
    }
    expect(existsSync(join(ws.root, "jobs"))).toBe(false);
    expect(existsSync(join(ws.root, "experiments"))).toBe(false);
  });
});

describe("showConfiguration", () => {
  it("merges parents, --pre-yaml, the main file, --post-yaml and -c, lists replaced", () => {
    const shown = showConfiguration({
      yamlFile: mainYaml,
      preYaml: [join(fixtures, "defaults.yaml")],
      postYaml: [join(fixtures, "overrides.yaml")],
      overrides: ["data.transforms.0.name=resize", "model.hidden=64"],
    });
    expect(shown).toMatchObject({
      id: "yaml-test",
      epochs: 7,
      learning_rates: [0.5],
      model: { hidden: 64, layers: 1 },
      data: { transforms: [{ name: "resize", size: 32 }, { name: "flip" }] },
    });
  });
});
