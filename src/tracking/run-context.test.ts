import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { RunContext } from "./run-context.js";

const temp = tempDir("context");
afterAll(() => temp.cleanup());
const savedUser = { LABRUN_USER: process.env.LABRUN_USER, USER: process.env.USER };
afterEach(() => {
  for (const [key, value] of Object.entries(savedUser)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("RUN", () => {
  it("finds the project root and the entry's path stem", () => {
    const project = join(temp.dir, "my-project");
    mkdirSync(join(project, "experiments/vision/resnet"), { recursive: true });
    writeFileSync(join(project, "pyproject.toml"), "");
    const entry = join(project, "experiments/vision/resnet/train.ts");
    writeFileSync(entry, "");
    const run = new RunContext();
    run.entry = pathToFileURL(entry).href;
    expect(run.entry).toBe(entry);
    expect(run.projectRoot).toBe(project);
    expect(run.pathStem).toBe("experiments/vision/resnet/train");
    // A sweep folder as entry.
    run.entry = join(project, "experiments/vision");
    expect(run.pathStem).toBe("experiments/vision");
    expect(run.now).toBeInstanceOf(Date);
  });

  it("takes the user from LABRUN_USER, else USER", () => {
    const run = new RunContext();
    process.env.LABRUN_USER = "alice";
    expect(run.user).toBe("alice");
    delete process.env.LABRUN_USER;
    process.env.USER = "bob";
    expect(run.user).toBe("bob");
  });
});
