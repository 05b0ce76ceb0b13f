import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalExecutor, runExperiment } from "../../src/index.js";
import { ensureBuilt, readJson, repoRoot, runCli, tempWorkspace } from "../helpers.js";

/**
 * A project in a temporary folder, with two "heavy" packages in its node_modules that record every
 * process that imports them (the driver, or a job), and labrun linked in.
 */
function writeProject(root: string): void {
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write("package.json", '{ "type": "module" }\n');
  mkdirSync(join(root, "node_modules"));
  symlinkSync(repoRoot, join(root, "node_modules", "labrun"));
  const record = `(process.env.LABRUN_JOB_NAME ? "job " + process.env.LABRUN_JOB_NAME : "driver")`;
  write(
    "node_modules/heavy-lib/package.json",
    JSON.stringify({ name: "heavy-lib", type: "module", exports: { ".": "./index.js", "./nn": "./nn.js" } }),
  );
  write(
    "node_modules/heavy-lib/index.js",
    `import { appendFileSync } from "node:fs";
appendFileSync(process.env.HEAVY_LOG, "heavy-lib imported by " + ${record} + "\\n");
export const nn = { Module: class {} };
export function compile(fn) { return fn; }
export function version() { return "real-1.0"; }
export default { version };
`,
  );
  write(
    "node_modules/heavy-lib/nn.js",
    `import { appendFileSync } from "node:fs";
appendFileSync(process.env.HEAVY_LOG, "heavy-lib/nn imported by " + ${record} + "\\n");
export class Linear {}
`,
  );
  write("node_modules/cjs-heavy/package.json", JSON.stringify({ name: "cjs-heavy", main: "index.js" }));
  write(
    "node_modules/cjs-heavy/index.js",
    `require("node:fs").appendFileSync(process.env.HEAVY_LOG, "cjs-heavy imported by " + ${record} + "\\n");
module.exports = { tidy: (fn) => fn, version: () => "real-cjs" };
`,
  );
  write(
    "pre.ts",
    `import { mockModules } from "labrun";
mockModules(["heavy-lib", "cjs-heavy"], { decorators: ["heavy-lib.compile", "cjs-heavy.tidy"] });
`,
  );
  write(
    "experiment.ts",
    `import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import heavy, { nn, compile, version } from "heavy-lib";
import * as H from "heavy-lib";
import { Linear } from "heavy-lib/nn";
import { Partial } from "labrun";
import type { ExperimentHelper } from "labrun";

const cjs = createRequire(import.meta.url)("cjs-heavy");

class Net extends nn.Module {
  constructor(readonly width: number) {
    super();
  }
}
const step = compile(function step(x: number) {
  return x + 1;
});
const tidy = cjs.tidy((x: number) => x * 2);

@compile
class Model {
  @compile
  forward(x: number): number {
    return x * 3;
  }
}

export function run(helper: ExperimentHelper): void {
  const facts = {
    compilePassesThrough: step(1) === 2,
    tidyPassesThrough: tidy(2) === 4,
    subclassWorks: new Net(4).width === 4 && new Net(4) instanceof Net,
    decoratorsPassThrough: new Model().forward(2) === 6,
    version: String(version()),
    namespaceVersion: String(H.version),
    defaultImport: String(heavy),
    submodule: String(new Linear()),
  };
  writeFileSync(process.env.FACTS_FILE!, JSON.stringify(facts));
  helper.experiment.add(
    new Partial({ module: new URL("./job.ts", import.meta.url).pathname, fn: "main" }),
    { name: "train" },
  );
}
`,
  );
  write(
    "job.ts",
    `import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { version } from "heavy-lib";
import { createRequire } from "node:module";

export function main(): string {
  const cjs = createRequire(import.meta.url)("cjs-heavy");
  const versions = version() + " " + cjs.version();
  writeFileSync(join(process.env.LABRUN_JOB_DIR!, "versions.txt"), versions);
  return versions;
}
`,
  );
  write("experiment.yaml", "id: mocked\npre_experiment: pre.ts\n");
  write("unmocked.yaml", "id: unmocked\n");
}

let ws: ReturnType<typeof tempWorkspace>;
let project: ReturnType<typeof tempWorkspace>;
let env: Record<string, string>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("mock-ws");
  project = tempWorkspace("mock-project");
  writeProject(project.root);
  env = { HEAVY_LOG: join(project.root, "heavy.log"), FACTS_FILE: join(project.root, "facts.json") };
});
afterEach(() => {
  ws.cleanup();
  project.cleanup();
});

const runXp = (...args: string[]) =>
  runCli(["run-experiment", ...args], { workspace: ws.root, cwd: project.root, env });
const imports = () =>
  existsSync(env.HEAVY_LOG!) ? readFileSync(env.HEAVY_LOG!, "utf8").trim().split("\n") : [];
const mockedFacts = {
  compilePassesThrough: true,
  tidyPassesThrough: true,
  subclassWorks: true,
  decoratorsPassThrough: true,
  version: "[mock heavy-lib.version.()]",
  namespaceVersion: "[mock heavy-lib.version]",
  defaultImport: "[mock heavy-lib]",
  submodule: "[mock heavy-lib.nn.Linear.new()]",
};

describe("mockModules from a pre_experiment file", () => {
  it("DRY_RUN configures the experiment against fakes: no heavy module is imported", () => {
    const result = runXp("--run-mode", "DRY_RUN", "experiment.yaml");
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^0\s+train\s+new\s+[0-9a-f]{64}/m);
    expect(readJson(env.FACTS_FILE!)).toEqual(mockedFacts);
    expect(imports()).toEqual([]);
  });

  it("without mockModules the same file imports the real modules (what the mocks save)", () => {
    expect(runXp("--run-mode", "DRY_RUN", "unmocked.yaml").code).toBe(0);
    expect(imports()).toEqual([
      "heavy-lib imported by driver",
      "heavy-lib/nn imported by driver",
      "cjs-heavy imported by driver",
    ]);
    expect(readJson(env.FACTS_FILE!)).toMatchObject({
      version: "real-1.0",
      defaultImport: "[object Object]",
    });
  });

  it("NORMAL: the driver imports fakes, the job imports the real modules", () => {
    const result = runXp("experiment.yaml");
    expect(result.stderr).toMatch(/Experiment mocked_\S+ COMPLETED: 1\/1 job\(s\) completed/);
    expect(result.code).toBe(0);
    expect(readJson(env.FACTS_FILE!)).toEqual(mockedFacts);
    expect(imports().sort()).toEqual(["cjs-heavy imported by job train", "heavy-lib imported by job train"]);
    const jobs = join(ws.root, "jobs", "job.main");
    const [jobDir] = readdirSync(jobs);
    expect(readFileSync(join(jobs, jobDir!, "versions.txt"), "utf8")).toBe("real-1.0 real-cjs");
  });

  it("GENERATE writes scripts that run the job with the real modules", () => {
    const result = runXp("--run-mode", "GENERATE", "--json", "experiment.yaml");
    expect(result.code).toBe(0);
    expect(imports()).toEqual([]);
    const [job] = (JSON.parse(result.stdout) as { jobs: { script: string; jobDir: string }[] }).jobs;
    const ran = spawnSync(job!.script, { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    expect(readFileSync(join(job!.jobDir, "versions.txt"), "utf8")).toBe("real-1.0 real-cjs");
    expect(imports().sort()).toEqual(["cjs-heavy imported by job train", "heavy-lib imported by job train"]);
  });

  it("bad mockModules calls are typed errors naming the problem", () => {
    const cases: [string, RegExp][] = [
      ['mockModules(["./local"]);', /mockModules: "\.\/local" is not a package name/],
      ["mockModules([]);", /mockModules needs a list of module names/],
      [
        'mockModules(["heavy-lib"], { decorators: ["torch.compile"] });',
        /decorator "torch\.compile" is not inside a mocked module \(heavy-lib/,
      ],
    ];
    for (const [call, message] of cases) {
      writeFileSync(join(project.root, "pre.ts"), `import { mockModules } from "labrun";\n${call}\n`);
      const result = runXp("--run-mode", "DRY_RUN", "experiment.yaml");
      expect(result.code, call).toBe(1);
      expect(result.stderr, call).toContain("[EXPERIMENT_FILE]");
      expect(result.stderr, call).toMatch(message);
      expect(result.stderr.trim().split("\n"), call).toHaveLength(1);
    }
  });
});

describe("mockModules through runExperiment (API)", () => {
  it("mocks while the experiment is configured, then ends: later imports are real", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const result = await runExperiment({
        yamlFile: join(project.root, "experiment.yaml"),
        workspace: ws.root,
        runMode: "DRY_RUN",
        cleanMode: true,
        executor: new LocalExecutor(),
        warn: () => undefined,
      });
      expect(result.jobs.map((job) => job.name)).toEqual(["train"]);
      expect(readJson(env.FACTS_FILE!)).toEqual(mockedFacts);
      expect(imports()).toEqual([]);
      const cjs = createRequire(join(project.root, "x.js"))("cjs-heavy") as { version(): string };
      expect(cjs.version()).toBe("real-cjs");
      expect(imports()).toEqual(["cjs-heavy imported by driver"]);
    } finally {
      process.env = saved;
    }
  });

  it("a configuration error also ends the mocking", async () => {
    writeFileSync(
      join(project.root, "experiment.yaml"),
      "id: mocked\npre_experiment: pre.ts\nunknown_key: 1\n",
    );
    await expect(
      runExperiment({
        yamlFile: join(project.root, "experiment.yaml"),
        workspace: ws.root,
        runMode: "DRY_RUN",
      }),
    ).rejects.toThrow(/unknown configuration key "unknown_key"/);
    const registry = (globalThis as Record<symbol, { flag: Int32Array } | undefined>)[
      Symbol.for("labrun.mockModules")
    ];
    expect(registry && Atomics.load(registry.flag, 0)).toBe(0);
  });
});
