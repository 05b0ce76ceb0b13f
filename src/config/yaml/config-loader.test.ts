import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigFileError,
  ConfigOverrideError,
  ConfigParentCycleError,
  ConfigValueError,
} from "../../errors.js";
import { loadYamlConfig } from "./config-loader.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labrun-yaml-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("loadYamlConfig", () => {
  it("follows parent chains of any depth, merging maps deeply and replacing lists", () => {
    write("root.yaml", "id: root\nmodel: {hidden: 8, layers: 1}\ntags: [a, b, c]\nkeep: 1\n");
    write("mid.yaml", "parent: root.yaml\nmodel: {hidden: 16}\ntags: [x]\n");
    const main = write("main.yaml", "parent: mid\nid: main\nmodel:\n  dropout: 0.5\n");
    const config = loadYamlConfig({ file: main });
    expect(config.data).toEqual({
      id: "main",
      parent: "mid",
      model: { hidden: 16, layers: 1, dropout: 0.5 },
      tags: ["x"],
      keep: 1,
    });
    expect(config.files).toEqual([join(dir, "root.yaml"), join(dir, "mid.yaml"), main]);
  });

  it("merges --pre-yaml, the main file, --post-yaml, then -c overrides, each file after its own parents", () => {
    write("pre-parent.yaml", "a: pre-parent\nb: pre-parent\nc: pre-parent\nd: pre-parent\n");
    const pre = write("pre.yaml", "parent: pre-parent.yaml\nb: pre\nc: pre\nd: pre\n");
    const main = write("main.yaml", "id: x\nc: main\nd: main\n");
    const post = write("post.yaml", "d: post\ne: post\n");
    const config = loadYamlConfig({ file: main, preYaml: [pre], postYaml: [post], overrides: ["e=cli"] });
    expect(config.data).toMatchObject({ a: "pre-parent", b: "pre", c: "main", d: "post", e: "cli" });
    expect(config.files).toEqual([join(dir, "pre-parent.yaml"), pre, main, post]);
    expect(config.where(["c"])).toMatch(/main\.yaml:2$/);
    expect(config.where(["d"])).toMatch(/post\.yaml:1$/);
    expect(config.where(["e"])).toBe("-c e=cli");
  });

  it("knows the file and line of every value, lists items included", () => {
    write("root.yaml", "id: r\ndata:\n  transforms:\n    - name: crop\n    - name: flip\n");
    const main = write("main.yaml", "parent: root.yaml\nlr: 1\n");
    const config = loadYamlConfig({ file: main, overrides: ["data.transforms.1.name=resize", "opt=[1, 2]"] });
    expect(config.where(["data", "transforms", 0, "name"])).toMatch(/root\.yaml:4$/);
    expect(config.where(["data", "transforms", 1, "name"])).toBe("-c data.transforms.1.name=resize");
    expect(config.where(["opt", 1])).toBe("-c opt=[1, 2]");
    expect(config.where(["lr"])).toMatch(/main\.yaml:2$/);
  });

  it("rejects a parent cycle, naming the files in order", () => {
    write("a.yaml", "id: a\nparent: b.yaml\n");
    write("b.yaml", "parent: c.yaml\n");
    write("c.yaml", "parent: a.yaml\n");
    const error = thrown(() => loadYamlConfig({ file: join(dir, "a.yaml") }));
    expect(error).toBeInstanceOf(ConfigParentCycleError);
    expect(error.message).toMatch(/a\.yaml → .*b\.yaml → .*c\.yaml → .*a\.yaml/);
    write("self.yaml", "parent: self.yaml\n");
    expect(thrown(() => loadYamlConfig({ file: join(dir, "self.yaml") }))).toBeInstanceOf(
      ConfigParentCycleError,
    );
  });

  it("names the file and line of a parent that does not exist", () => {
    const main = write("main.yaml", "id: x\n\nparent: missing.yaml\n");
    const error = thrown(() => loadYamlConfig({ file: main }));
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error.message).toMatch(/main\.yaml:3 \(parent\): YAML file .*missing\.yaml does not exist/);
  });

  it("names the line of a YAML syntax error, and rejects a file that is not a map", () => {
    const bad = write("bad.yaml", "id: x\nmodel:\n  hidden: [1, 2\nlr: 3\n");
    const error = thrown(() => loadYamlConfig({ file: bad }));
    expect(error).toBeInstanceOf(ConfigFileError);
    expect(error.message).toMatch(/bad\.yaml:\d+: not valid YAML/);
    const duplicate = write("dup.yaml", "id: x\nlr: 1\nlr: 2\n");
    expect(thrown(() => loadYamlConfig({ file: duplicate })).message).toMatch(
      /dup\.yaml:3: not valid YAML: Map keys must be unique/,
    );
    const list = write("list.yaml", "- a\n- b\n");
    expect(thrown(() => loadYamlConfig({ file: list })).message).toMatch(
      /list\.yaml:1: .*map of keys.*not a list/,
    );
    expect(loadYamlConfig({ file: write("empty.yaml", "# nothing\n") }).data).toEqual({});
  });

  it("rejects a parent that is not a path, and -c parent=…", () => {
    const main = write("main.yaml", "id: x\nparent: [a]\n");
    expect(thrown(() => loadYamlConfig({ file: main }))).toBeInstanceOf(ConfigValueError);
    const ok = write("ok.yaml", "id: x\n");
    const error = thrown(() => loadYamlConfig({ file: ok, overrides: ["parent=other.yaml"] }));
    expect(error).toBeInstanceOf(ConfigOverrideError);
    expect(error.message).toMatch(/--pre-yaml or --post-yaml/);
  });
});
