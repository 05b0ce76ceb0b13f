import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigValueError, ExperimentFileError, UnknownConfigKeyError } from "../../errors.js";
import { loadYamlConfig } from "./config-loader.js";
import { ConfigurationBase, checkBaseConfig } from "./configuration-base.js";
import { closestKey, levenshtein, validateConfiguration } from "./validate.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labrun-validate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, overrides: string[] = []) {
  const file = join(dir, "experiment.yaml");
  writeFileSync(file, text);
  return loadYamlConfig({ file, overrides });
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

const schema = ConfigurationBase.extend({
  learning_rate: z.number().default(1e-3),
  model: z.object({ hidden: z.number().int(), layers: z.number().int().default(1) }),
  transforms: z.array(z.object({ name: z.string() })).default([]),
  extras: z.record(z.string(), z.object({ weight: z.number() })).default({}),
  free: z.looseObject({}).optional(),
});

describe("validateConfiguration", () => {
  it("returns the configuration with defaults filled in", () => {
    const config = load("id: x\nmodel: {hidden: 4}\nfree: {anything: 1}\n");
    expect(validateConfiguration(config, schema)).toMatchObject({
      id: "x",
      learning_rate: 1e-3,
      model: { hidden: 4, layers: 1 },
      dirty_git: "warn",
      free: { anything: 1 },
    });
  });

  it("names the closest known key of an unknown key, with its file and line, at any depth", () => {
    const top = thrown(() =>
      validateConfiguration(load("id: x\nmodel: {hidden: 4}\nlearning_rat: 3\n"), schema),
    );
    expect(top).toBeInstanceOf(UnknownConfigKeyError);
    expect(top.message).toMatch(
      /experiment\.yaml:3: unknown configuration key "learning_rat"; did you mean "learning_rate"\?/,
    );
    const nested = thrown(() =>
      validateConfiguration(load("id: x\nmodel:\n  hidden: 4\n  layer: 2\n"), schema),
    );
    expect(nested.message).toMatch(
      /experiment\.yaml:4: unknown configuration key "model\.layer"; did you mean "model\.layers"\?/,
    );
    const inList = thrown(() =>
      validateConfiguration(load("id: x\nmodel: {hidden: 4}\ntransforms:\n  - nme: crop\n"), schema),
    );
    expect(inList.message).toMatch(
      /:4: unknown configuration key "transforms\.0\.nme"; did you mean "transforms\.0\.name"\?/,
    );
    const inRecord = thrown(() =>
      validateConfiguration(load("id: x\nmodel: {hidden: 4}\nextras: {a: {wieght: 1}}\n"), schema),
    );
    expect(inRecord.message).toMatch(/"extras\.a\.wieght"; did you mean "extras\.a\.weight"/);
    const far = thrown(() => validateConfiguration(load("id: x\nmodel: {hidden: 4}\nzzz: 1\n"), schema));
    expect(far.message).not.toMatch(/did you mean/);
    expect(far.message).toMatch(/Known keys here: id, file, module/);
  });

  it("names the file, line and key of a value the schema rejects", () => {
    const error = thrown(() => validateConfiguration(load("id: x\nmodel:\n  hidden: big\n"), schema));
    expect(error).toBeInstanceOf(ConfigValueError);
    expect(error.message).toMatch(/\/experiment\.yaml:3: model\.hidden: .*expected number.*\(got "big"\)/);
    const fromOverride = thrown(() =>
      validateConfiguration(load("id: x\nmodel: {hidden: 4}\n", ["learning_rate=fast"]), schema),
    );
    expect(fromOverride.message).toMatch(/^-c learning_rate=fast: learning_rate: /);
    const missing = thrown(() => validateConfiguration(load("id: x\nmodel: {layers: 2}\n"), schema));
    expect(missing.message).toMatch(/experiment\.yaml:2: model\.hidden: .*`model\.hidden` is required/);
  });

  it("refuses a configuration export that is not a schema extending ConfigurationBase", () => {
    const config = load("id: x\n");
    expect(() => validateConfiguration(config, z.object({ lr: z.number() }))).toThrow(ExperimentFileError);
  });
});

describe("checkBaseConfig", () => {
  it("requires id and rejects file together with module, naming where each is set", () => {
    expect(thrown(() => checkBaseConfig(load("file: experiment\n"))).message).toMatch(
      /experiment\.yaml: `id` is required/,
    );
    const both = thrown(() => checkBaseConfig(load("id: x\nfile: a\nmodule: b.c\n")));
    expect(both).toBeInstanceOf(ConfigValueError);
    expect(both.message).toMatch(/`file` \(\S*experiment\.yaml:2\) and `module` \(\S*experiment\.yaml:3\)/);
    expect(checkBaseConfig(load("id: x\nfile: null\nmodule: b.c\n")).module).toBe("b.c");
  });

  it("checks the type of base keys before any experiment code is loaded", () => {
    const error = thrown(() => checkBaseConfig(load("id: x\ndirty_git: sometimes\n")));
    expect(error.message).toMatch(/experiment\.yaml:2: dirty_git: /);
    expect(checkBaseConfig(load("id: x\n"))).toMatchObject({
      dirty_git: "warn",
      add_timestamp: false,
      title: "",
    });
  });
});

describe("closestKey", () => {
  it("finds typos and leaves unrelated names alone", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(closestKey("learning_rat", ["id", "learning_rate", "epochs"])).toBe("learning_rate");
    expect(closestKey("Epochs", ["id", "epochs"])).toBe("epochs");
    expect(closestKey("lr", ["learning_rate", "description"])).toBeUndefined();
  });
});
