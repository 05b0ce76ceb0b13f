import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirtyGitError } from "../errors.js";
import { gitInfo } from "../workspace/provenance.js";
import { checkDirtyGit } from "./git-check.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labrun-git-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const git = (...args: string[]) =>
  spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
    cwd: dir,
    encoding: "utf8",
  });

describe("gitInfo", () => {
  it("is null outside a repository", () => {
    expect(gitInfo(dir)).toBeNull();
  });

  it("records the commit, the branch and whether tracked files changed", () => {
    git("init", "-q", "-b", "trunk");
    writeFileSync(join(dir, "a.txt"), "1");
    git("add", "a.txt");
    git("commit", "-qm", "first");
    const commit = git("rev-parse", "HEAD").stdout.trim();
    mkdirSync(join(dir, "sub"));
    expect(gitInfo(join(dir, "sub"))).toMatchObject({ commit, branch: "trunk", dirty: false });
    writeFileSync(join(dir, "untracked.txt"), "x");
    expect(gitInfo(dir)?.dirty).toBe(false);
    writeFileSync(join(dir, "a.txt"), "2");
    expect(gitInfo(dir)?.dirty).toBe(true);
    git("checkout", "-q", "--detach");
    expect(gitInfo(dir)?.branch).toBeNull();
  });
});

describe("checkDirtyGit", () => {
  const dirty = { root: "/repo", commit: "abc", branch: "main", dirty: true };
  const run = (action: "ignore" | "warn" | "error", runs: boolean, info = dirty) => {
    const warnings: string[] = [];
    checkDirtyGit(info, action, { where: "x.yaml:3", runs, warn: (m) => warnings.push(m) });
    return warnings;
  };

  it("errors, warns or says nothing as dirty_git asks", () => {
    expect(() => run("error", true)).toThrow(DirtyGitError);
    expect(() => run("error", true)).toThrow(/x\.yaml:3 sets `dirty_git: error`/);
    expect(run("warn", true)).toEqual([expect.stringMatching(/\/repo has uncommitted changes/)]);
    expect(run("ignore", true)).toEqual([]);
    expect(run("error", true, { ...dirty, dirty: false })).toEqual([]);
  });

  it("only warns when nothing will run (DRY_RUN, GENERATE)", () => {
    expect(run("error", false)).toEqual([expect.stringMatching(/dirty_git: error stops a NORMAL run/)]);
  });
});
