import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DirtyGitError, Experiment, Script, UnknownOptionError } from "../../src/index.js";
import type { ExperimentOptions } from "../../src/index.js";
import { labrunBin, repoRoot, runCli, tempWorkspace } from "../helpers.js";

// Several real processes (Node, Python) per test: room for a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

let scratch: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  scratch = tempWorkspace("ts-options");
});
afterEach(() => scratch.cleanup());

/** A git repository with one commit and an uncommitted change. */
function dirtyRepository(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: scratch.root, stdio: "pipe" });
  git("init", "-q");
  writeFileSync(join(scratch.root, "a.txt"), "one\n");
  git("add", "a.txt");
  git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "one");
  writeFileSync(join(scratch.root, "a.txt"), "two\n");
  return scratch.root;
}

describe("new Experiment(title, options)", () => {
  it("dirtyGit: error refuses to run from a dirty repository before writing anything; warn and ignore run", async () => {
    const repo = dirtyRepository();
    const cwd = process.cwd();
    process.chdir(repo);
    try {
      const baseDir = join(repo, "ws");
      const refused = new Experiment("dirty", { baseDir, dirtyGit: "error", cleanMode: true });
      refused.add(new Script({ inline: "true" }), { name: "a" });
      await expect(refused.run()).rejects.toBeInstanceOf(DirtyGitError);
      expect(existsSync(join(baseDir, "experiments"))).toBe(false);
      for (const dirtyGit of ["warn", "ignore"] as const) {
        const exp = new Experiment("dirty", { baseDir, dirtyGit, cleanMode: true });
        exp.add(new Script({ inline: "true" }), { name: "a" });
        expect((await exp.run()).ok).toBe(true);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it("refuses an option it does not know (a typo is never silently ignored)", () => {
    const typo = { dirty_git: "error" } as unknown as ExperimentOptions;
    expect(() => new Experiment("x", typo)).toThrow(UnknownOptionError);
    expect(() => new Experiment("x", typo)).toThrow(/does not take `dirty_git`.*dirtyGit/);
    expect(() => new Experiment("x", { dirtyGit: "sometimes" as never })).toThrow(
      /"error", "warn" or "ignore"/,
    );
  });
});

describe("a job started by `node bin/labrun.js run` finds that labrun", () => {
  it("labrun log inside a TypeScript job writes to the job's run (labrun is not installed on PATH)", () => {
    const file = join(scratch.root, "log.mts");
    writeFileSync(
      file,
      `import { Experiment, Script } from ${JSON.stringify(join(repoRoot, "src", "index.ts"))};
const exp = new Experiment("logs", { cleanMode: true });
exp.add(new Script({ inline: 'labrun log msg "hello from the job" && labrun log metric train loss=0.5 step=1 && echo "$LABRUN_CLI"' }), { name: "job" });
await exp.run();
`,
    );
    const path = (process.env.PATH ?? "")
      .split(":")
      .filter((dir) => !existsSync(join(dir, "labrun")))
      .join(":");
    const result = runCli(["run", file], { workspace: join(scratch.root, "ws"), env: { PATH: path } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const jobs = join(scratch.root, "ws", "jobs", "script");
    const [dir] = execFileSync("ls", [jobs], { encoding: "utf8" }).trim().split("\n");
    expect(readFileSync(join(jobs, dir!, "stdout.log"), "utf8").trim()).toBe(labrunBin);
    expect(readFileSync(join(jobs, dir!, "run", "logs", "logs.jsonl"), "utf8")).toContain(
      "hello from the job",
    );
    expect(readFileSync(join(jobs, dir!, "run", "metrics", "train", "data.jsonl"), "utf8")).toContain("0.5");
  });
});
