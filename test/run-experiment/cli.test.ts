import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBuilt, readJson, repoRoot, runCli, tempWorkspace } from "../helpers.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "yaml");
let ws: ReturnType<typeof tempWorkspace>;
let scratch: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("yaml-cli");
  scratch = tempWorkspace("yaml-cli-files");
});
afterEach(() => {
  ws.cleanup();
  scratch.cleanup();
});

/** `labrun run-experiment …`, run from the fixtures folder. */
const runXp = (...args: string[]) =>
  runCli(["run-experiment", ...args], { workspace: ws.root, cwd: fixtures });

interface PlanJson {
  id: string;
  experimentId: string;
  dir?: string;
  ok: boolean;
  jobs: {
    name: string;
    identity: string;
    state: string;
    dependencies: string[];
    jobDir: string;
    script?: string;
    params?: string;
  }[];
}

function expectOneLineError(result: ReturnType<typeof runXp>, code: string, exit = 1): void {
  expect(result.stderr).toContain(`[${code}]`);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(exit);
}

function experimentDirs(title: string): string[] {
  const dir = join(ws.root, "experiments", title);
  return existsSync(dir) ? readdirSync(dir).map((id) => join(dir, id)) : [];
}

describe("labrun run-experiment", () => {
  it("NORMAL runs the experiment through its parent chain and overrides, and writes informations.json", () => {
    const result = runXp("experiment.yaml", "-c", "learning_rates=[0.2, 0.4]", "-c", "model.hidden=32");
    expect(result.stderr).toMatch(/Experiment yaml-test_\S+ COMPLETED: 3\/3 job\(s\) completed/);
    expect(result.code).toBe(0);
    const [dir] = experimentDirs("yaml-test");
    const info = readJson(join(dir!, "informations.json"));
    expect(info).toMatchObject({
      id: "yaml-test",
      runMode: "NORMAL",
      yamlFiles: ["root.yaml", "base.yaml", "experiment.yaml"].map((name) => join(fixtures, name)),
      overrides: ["learning_rates=[0.2, 0.4]", "model.hidden=32"],
      configuration: { learning_rates: [0.2, 0.4], model: { hidden: 32, layers: 1 }, epochs: 2 },
      experimentFile: join(fixtures, "experiment.ts"),
    });
    for (const key of ["hostname", "user", "startedAt", "git"]) expect(info[key], key).toBeTruthy();
    const seen = readdirSync(join(ws.root, "jobs", "train")).map((id) =>
      readFileSync(join(ws.root, "jobs", "train", id, "seen.txt"), "utf8").trim(),
    );
    expect(seen.sort()).toEqual(["lr=0.2 epochs=2 mode=NORMAL", "lr=0.4 epochs=2 mode=NORMAL"]);
  });

  it("exits 1 when a job fails", () => {
    const result = runXp("experiment.yaml", "-c", "failing_lr=0.01");
    expect(result.stderr).toMatch(/train-lr=0\.01 failed: exit code 3/);
    expect(result.code).toBe(1);
  });

  it("--show prints the merged configuration as JSON and runs nothing", () => {
    const result = runXp(
      "--show",
      "--pre-yaml",
      "defaults.yaml",
      "--post-yaml",
      "overrides.yaml",
      "-c",
      "data.transforms.0.name=resize",
      "-c",
      "model.layers=4",
      "experiment.yaml",
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: "yaml-test",
      epochs: 7,
      learning_rates: [0.5],
      model: { hidden: 16, layers: 4 },
      data: { transforms: [{ name: "resize", size: 32 }, { name: "flip" }] },
    });
    expect(readdirSync(ws.root)).toEqual([]);
  });

  it("DRY_RUN lists every job with identity, state and dependencies, runs nothing, and sees reusable jobs", () => {
    const listed = runXp("--run-mode", "DRY_RUN", "experiment.yaml");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^0\s+prep\s+new\s+[0-9a-f]{64}\s+-$/m);
    expect(listed.stdout).toMatch(/^1\s+train-lr=0\.1\s+new\s+[0-9a-f]{64}\s+prep$/m);
    expect(listed.stdout).toMatch(
      /DRY_RUN yaml-test: 3 job\(s\), 0 would be reused, 3 would run\. Nothing was run\./,
    );
    expect(existsSync(join(ws.root, "jobs"))).toBe(false);
    expect(experimentDirs("yaml-test")).toEqual([]);

    expect(runXp("experiment.yaml", "-c", "reusable_prep=true").code).toBe(0);
    const again = runXp("--run-mode", "dry-run", "--json", "experiment.yaml", "-c", "reusable_prep=true");
    const plan = JSON.parse(again.stdout) as PlanJson;
    expect(plan.jobs.map((job) => [job.name, job.state])).toEqual([
      ["prep", "reused"],
      ["train-lr=0.1", "new"],
      ["train-lr=0.01", "new"],
    ]);
    expect(readJson(join(plan.jobs[0]!.jobDir, "job.json")).state).toBe("COMPLETED");
  });

  it("GENERATE writes a runnable run.sh and params.json per job without running them", () => {
    const result = runXp("--run-mode", "GENERATE", "--json", "with-pre.yaml");
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as PlanJson;
    expect(plan.jobs.map((job) => job.name)).toEqual(["prep", "train-lr=0.1"]);
    const prep = plan.jobs[0]!;
    expect(readJson(prep.params!)).toMatchObject({
      kind: "script",
      inline: expect.stringContaining("prep hidden=16"),
    });
    expect(existsSync(join(prep.jobDir, "job.json"))).toBe(false);
    expect(existsSync(join(prep.jobDir, "seen.txt"))).toBe(false);
    // The script runs the job by hand, with the environment the driver's jobs get (pre_experiment's too).
    const ran = spawnSync(prep.script!, { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    expect(ran.status).toBe(0);
    expect(readFileSync(join(prep.jobDir, "seen.txt"), "utf8")).toBe("prep hidden=16 pre=from-pre\n");
  });

  it("runs pre_experiment before the experiment file; its environment reaches the jobs", () => {
    expect(runXp("with-pre.yaml").code).toBe(0);
    const prepDirs = readdirSync(join(ws.root, "jobs", "script"));
    expect(readFileSync(join(ws.root, "jobs", "script", prepDirs[0]!, "seen.txt"), "utf8")).toBe(
      "prep hidden=16 pre=from-pre\n",
    );
  });

  it("loads `module` from the default search path or from `pythonpath`", () => {
    const byDefault = runXp("--run-mode", "DRY_RUN", "--json", join("first_stage", "module.yaml"));
    expect(byDefault.code).toBe(0);
    expect((JSON.parse(byDefault.stdout) as PlanJson).jobs.map((job) => job.name)).toEqual([
      "prep",
      "train-lr=0.3",
    ]);
    const yaml = join(scratch.root, "elsewhere.yaml");
    writeFileSync(
      yaml,
      `id: moved\nmodule: first_stage.experiment\npythonpath: [${fixtures}]\ndirty_git: ignore\n`,
    );
    const withPath = runXp("--run-mode", "DRY_RUN", "--json", yaml);
    expect(withPath.code).toBe(0);
    expect((JSON.parse(withPath.stdout) as PlanJson).id).toBe("moved");
    const missing = runXp("--run-mode", "DRY_RUN", yaml, "-c", `pythonpath=[${scratch.root}]`);
    expectOneLineError(missing, "EXPERIMENT_FILE");
    expect(missing.stderr).toMatch(/module first_stage\.experiment was not found/);
  });

  it("add_timestamp appends -YYYYMMDD-HHMM to the id", () => {
    const result = runXp("--run-mode", "DRY_RUN", "--json", "experiment.yaml", "-c", "add_timestamp=true");
    expect((JSON.parse(result.stdout) as PlanJson).id).toMatch(/^yaml-test-\d{8}-\d{4}$/);
  });

  it("launches once when the experiment file calls run() itself", () => {
    const result = runXp("experiment.yaml", "-c", "run_itself=true");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("run() resolved: COMPLETED");
    expect(experimentDirs("yaml-test")).toHaveLength(1);
  });

  it("runs the worked example of docs/run-experiment.md", () => {
    const result = runCli(["run-experiment", join(repoRoot, "examples", "yaml", "experiment.yaml")], {
      workspace: ws.root,
      cwd: scratch.root,
    });
    expect(result.stderr).toMatch(/Experiment yaml-sweep_\S+ COMPLETED: 5\/5 job\(s\) completed/);
    expect(result.code).toBe(0);
    const info = readJson(join(experimentDirs("yaml-sweep")[0]!, "informations.json"));
    expect(info.configuration).toMatchObject({ epochs: 8, sweep: { batch_sizes: [16, 64] } });
  });

  describe("bad input: one line, exit 1 (2 for usage), nothing run", () => {
    const write = (name: string, text: string) => {
      const file = join(scratch.root, name);
      writeFileSync(file, text);
      return file;
    };
    const experimentFile = join(fixtures, "experiment");

    it.each([
      [
        "missing id",
        () => [write("a.yaml", `file: ${experimentFile}\n`)],
        "CONFIG_VALUE",
        /a\.yaml: `id` is required/,
      ],
      [
        "file and module",
        () => [write("b.yaml", `id: x\nfile: ${experimentFile}\nmodule: m.x\n`)],
        "CONFIG_VALUE",
        /Both `file` \(\S*b\.yaml:2\) and `module` \(\S*b\.yaml:3\) are set/,
      ],
      [
        "missing parent",
        () => [write("c.yaml", "id: x\nparent: ../nowhere.yaml\n")],
        "CONFIG_FILE",
        /c\.yaml:2 \(parent\): YAML file \S*nowhere\.yaml does not exist/,
      ],
      [
        "parent cycle",
        () => ["cycle-a.yaml"],
        "CONFIG_PARENT_CYCLE",
        /cycle-a\.yaml → cycle-b\.yaml → cycle-c\.yaml → cycle-a\.yaml/,
      ],
      [
        "bad -c path",
        () => ["experiment.yaml", "-c", "data.transforms.9.name=x"],
        "CONFIG_OVERRIDE",
        /index from 0 to 1/,
      ],
      [
        "bad -c syntax",
        () => ["experiment.yaml", "-c", "model..hidden=3"],
        "CONFIG_OVERRIDE",
        /not a key path/,
      ],
      [
        "schema rejects",
        () => ["experiment.yaml", "-c", "epochs=many"],
        "CONFIG_VALUE",
        /-c epochs=many: epochs: .*expected number/,
      ],
      [
        "schema rejects a file value",
        () => [write("d.yaml", `id: x\nfile: ${experimentFile}\nmodel:\n  hidden: 1.5\ndirty_git: ignore\n`)],
        "CONFIG_VALUE",
        /d\.yaml:4: model\.hidden: .*expected int/,
      ],
      [
        "unknown key",
        () => ["experiment.yaml", "-c", "model.hiden=3"],
        "CONFIG_UNKNOWN_KEY",
        /unknown configuration key "model\.hiden"; did you mean "model\.hidden"\?/,
      ],
      [
        "YAML syntax",
        () => [write("e.yaml", "id: x\nlist: [1, 2\n")],
        "CONFIG_FILE",
        /e\.yaml:\d+: not valid YAML/,
      ],
      ["missing YAML file", () => ["nothing-here.yaml"], "CONFIG_FILE", /nothing-here\.yaml does not exist/],
    ])("%s", (_what, args, code, message) => {
      const result = runXp(...(args as () => string[])());
      expectOneLineError(result, code as string);
      expect(result.stderr).toMatch(message as RegExp);
      expect(readdirSync(ws.root)).toEqual([]);
    });

    it("a bad run mode is a usage error (exit 2)", () => {
      const result = runXp("--run-mode", "FAST", "experiment.yaml");
      expectOneLineError(result, "USAGE", 2);
      expect(result.stderr).toMatch(/Run mode "FAST" is not known/);
    });
  });

  describe("dirty_git", () => {
    /** A git repository holding an experiment file with one job, and a tracked file to make dirty. */
    function gitRepo(): string {
      const repo = join(scratch.root, "repo");
      mkdirSync(repo);
      const labrun = pathToFileURL(join(repoRoot, "dist", "index.js")).href;
      writeFileSync(
        join(repo, "experiment.mjs"),
        `import { Script } from ${JSON.stringify(labrun)};\n` +
          `export function run(helper) { helper.experiment.add(new Script({ inline: "true" }), { name: "one" }); }\n`,
      );
      writeFileSync(join(repo, "notes.txt"), "clean\n");
      const git = (...args: string[]) =>
        spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo });
      git("init", "-q", "-b", "exp-branch");
      git("add", ".");
      git("commit", "-qm", "initial");
      writeFileSync(join(repo, "notes.txt"), "dirty\n");
      return repo;
    }

    it("error stops a NORMAL run of a dirty repository with DirtyGitError; DRY_RUN only warns", () => {
      const repo = gitRepo();
      writeFileSync(join(repo, "xp.yaml"), "id: dirty\ndirty_git: error\n");
      const result = runXp(join(repo, "xp.yaml"));
      expectOneLineError(result, "DIRTY_GIT");
      expect(result.stderr).toMatch(/has uncommitted changes and \S*xp\.yaml:2 sets `dirty_git: error`/);
      expect(readdirSync(ws.root)).toEqual([]);
      const dry = runXp("--run-mode", "DRY_RUN", join(repo, "xp.yaml"));
      expect(dry.code).toBe(0);
      expect(dry.stderr).toMatch(/warning: .*uncommitted changes.*dirty_git: error stops a NORMAL run/);
    });

    it("warn (the default) warns and records commit, branch and dirty flag", () => {
      const repo = gitRepo();
      writeFileSync(join(repo, "xp.yaml"), "id: dirty\n");
      const result = runXp(join(repo, "xp.yaml"));
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/warning: The git repository \S+ has uncommitted changes/);
      const info = readJson(join(experimentDirs("dirty")[0]!, "informations.json"));
      expect(info.git).toMatchObject({
        branch: "exp-branch",
        dirty: true,
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      });
      writeFileSync(join(repo, "ignore.yaml"), "id: quiet\ndirty_git: ignore\n");
      const quiet = runXp(join(repo, "ignore.yaml"));
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toMatch(/warning/);
    });
  });
});
