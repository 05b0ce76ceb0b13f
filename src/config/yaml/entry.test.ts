import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExperimentFileError } from "../../errors.js";
import { loadYamlConfig } from "./config-loader.js";
import { checkBaseConfig } from "./configuration-base.js";
import { moduleSearchPath, resolveExperimentEntry, resolvePreExperiment } from "./entry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labrun-entry-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function touch(path: string, text = ""): string {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function entries(yaml: string, overrides: string[] = []) {
  const config = loadYamlConfig({ file: join(dir, yaml), overrides });
  const base = checkBaseConfig(config);
  return {
    entry: () => resolveExperimentEntry(config, base),
    pre: () => resolvePreExperiment(config, base),
    searchPath: () => moduleSearchPath(config, base),
  };
}

describe("resolveExperimentEntry", () => {
  it("finds `file` (default experiment) beside the YAML file, trying .ts, .js and .mjs", () => {
    touch("xp/main.yaml", "id: x\n");
    const js = touch("xp/experiment.js");
    expect(entries("xp/main.yaml").entry()).toBe(js);
    const ts = touch("xp/experiment.ts");
    expect(entries("xp/main.yaml").entry()).toBe(ts);
    const explicit = touch("xp/other.mjs");
    touch("xp/explicit.yaml", "id: x\nfile: other.mjs\n");
    expect(entries("xp/explicit.yaml").entry()).toBe(explicit);
  });

  it("resolves `file` against the YAML file that sets it, and the default against the main file", () => {
    touch("shared/base.yaml", "file: ../code/run\n");
    const code = touch("code/run.ts");
    touch("xp/main.yaml", "id: x\nparent: ../shared/base.yaml\n");
    expect(entries("xp/main.yaml").entry()).toBe(code);
  });

  it("says which file it looked for", () => {
    touch("xp/main.yaml", "id: x\nfile: nowhere\n");
    expect(() => entries("xp/main.yaml").entry()).toThrow(ExperimentFileError);
    expect(() => entries("xp/main.yaml").entry()).toThrow(
      /main\.yaml:2: experiment file .*nowhere does not exist \(looked for .*nowhere\.ts, .*nowhere\.py\b/,
    );
  });

  it("looks `module` up from the folder above the package by default, or in `pythonpath`", () => {
    const module = touch("project/first_stage/sub/experiment.ts");
    touch("project/first_stage/sub/main.yaml", "id: x\nmodule: first_stage.sub.experiment\n");
    expect(entries("project/first_stage/sub/main.yaml").searchPath()).toEqual([join(dir, "project")]);
    expect(entries("project/first_stage/sub/main.yaml").entry()).toBe(module);
    touch(
      "configs/moved.yaml",
      "id: x\nmodule: first_stage.sub.experiment\npythonpath: [../elsewhere, ../project]\n",
    );
    expect(entries("configs/moved.yaml").entry()).toBe(module);
    const index = touch("project/pkg/index.js");
    touch("project/pkg.yaml", "id: x\nmodule: pkg\n");
    expect(entries("project/pkg.yaml").entry()).toBe(index);
    touch("configs/lost.yaml", "id: x\nmodule: first_stage.sub.experiment\npythonpath: [.]\n");
    expect(() => entries("configs/lost.yaml").entry()).toThrow(
      /module first_stage\.sub\.experiment was not found/,
    );
    touch("configs/bad.yaml", "id: x\nmodule: ../escape\n");
    expect(() => entries("configs/bad.yaml").entry()).toThrow(/is not a dotted module name/);
  });
});

describe("resolvePreExperiment", () => {
  it("takes a file relative to its YAML file, or a dotted module", () => {
    touch("xp/experiment.ts");
    const setup = touch("xp/setup/pre.ts");
    touch("xp/file.yaml", "id: x\npre_experiment: setup/pre.ts\n");
    expect(entries("xp/file.yaml").pre()).toBe(setup);
    touch("xp/noext.yaml", "id: x\npre_experiment: setup/pre\n");
    expect(entries("xp/noext.yaml").pre()).toBe(setup);
    touch("xp/module.yaml", "id: x\npre_experiment: setup.pre\npythonpath: [.]\n");
    expect(entries("xp/module.yaml").pre()).toBe(setup);
    touch("xp/none.yaml", "id: x\n");
    expect(entries("xp/none.yaml").pre()).toBeUndefined();
    touch("xp/missing.yaml", "id: x\npre_experiment: gone.ts\n");
    expect(() => entries("xp/missing.yaml").pre()).toThrow(
      /missing\.yaml:2: pre_experiment file .*gone\.ts does not exist/,
    );
  });
});
