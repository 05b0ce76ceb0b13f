import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PackagingError, UncommittedChangesError } from "../../errors.js";
import { runProcess } from "../tunnel/process-run.js";
import { GitArchivePackager } from "./git-archive-packager.js";
import { PatternPackager } from "./pattern-packager.js";
import { packagerFromConfig } from "./packager-kinds.js";

/** The paths in a tar archive, sorted, as tar itself lists them. */
async function listing(archive: Buffer): Promise<string[]> {
  const result = await runProcess(["tar", "-t"], { input: archive });
  return result.stdout
    .split("\n")
    .filter((line) => line !== "" && !line.endsWith("/"))
    .map((line) => line.replace(/^\.\//, ""))
    .sort();
}

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), "labrun-pack-"));
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      encoding: "utf8",
    });
  git("init", "-q");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "train.py"), "print('train')\n");
  writeFileSync(join(dir, ".gitignore"), "*.ckpt\n");
  git("add", ".");
  git("commit", "-qm", "first");
  return { dir, git };
}

describe("GitArchivePackager", () => {
  it("ships the committed tree of the repository", async () => {
    const { dir } = repo();
    const packager = new GitArchivePackager({ path: join(dir, "src") });
    expect(packager.root).toBe(dir);
    expect(await listing(await packager.archive())).toEqual([".gitignore", "src/train.py"]);
  });

  it("refuses uncommitted and untracked changes, naming them, unless includeUncommitted", async () => {
    const { dir } = repo();
    writeFileSync(join(dir, "src", "train.py"), "print('changed')\n");
    writeFileSync(join(dir, "notes.md"), "new\n");
    writeFileSync(join(dir, "model.ckpt"), "ignored\n");
    const refused = new GitArchivePackager({ path: dir }).archive();
    await expect(refused).rejects.toThrow(UncommittedChangesError);
    await expect(refused).rejects.toThrow(/notes\.md.*src\/train\.py|src\/train\.py.*notes\.md/);
    const working = new GitArchivePackager({ path: dir, includeUncommitted: true });
    expect(await listing(await working.archive())).toEqual([".gitignore", "notes.md", "src/train.py"]);
    // Rebuilt from its config (an experiment reopened from disk), it packages the same way.
    const rebuilt = packagerFromConfig(JSON.parse(JSON.stringify(working.toConfig())));
    expect(await listing(await rebuilt.archive())).toEqual([".gitignore", "notes.md", "src/train.py"]);
  });

  it("says what to do outside a git repository", () => {
    const dir = mkdtempSync(join(tmpdir(), "labrun-nogit-"));
    expect(() => new GitArchivePackager({ path: dir })).toThrow(PackagingError);
  });
});

describe("PatternPackager", () => {
  it("ships the files matching its globs, ** crossing directories", async () => {
    const { dir } = repo();
    mkdirSync(join(dir, "configs", "deep"), { recursive: true });
    writeFileSync(join(dir, "configs", "a.yaml"), "a: 1\n");
    writeFileSync(join(dir, "configs", "deep", "b.yaml"), "b: 2\n");
    writeFileSync(join(dir, "configs", "deep", "c.txt"), "no\n");
    const packager = new PatternPackager({ root: dir, include: ["src/*.py", "configs/**/*.yaml"] });
    expect(await listing(await packager.archive())).toEqual([
      "configs/a.yaml",
      "configs/deep/b.yaml",
      "src/train.py",
    ]);
    expect(readdirSync(dir)).toContain("configs");
  });

  it("fails with the globs when nothing matches", async () => {
    const { dir } = repo();
    await expect(new PatternPackager({ root: dir, include: ["*.rs"] }).archive()).rejects.toThrow(
      /No file in .* matches \*\.rs/,
    );
  });
});
