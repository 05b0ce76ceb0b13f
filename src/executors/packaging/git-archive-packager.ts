import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { PackagingError, UncommittedChangesError } from "../../errors.js";
import { runProcess, runProcessBytes } from "../tunnel/process-run.js";
import { tarFiles } from "./tar-files.js";
import type { Packager, PackagerConfig } from "./packager.js";

export interface GitArchivePackagerOptions {
  /** A directory inside the repository; default: the current directory. */
  readonly path?: string;
  /** The commit to ship; default `HEAD`. */
  readonly ref?: string;
  /** Ship the working tree as it is (tracked files with their changes, plus untracked files not ignored). */
  readonly includeUncommitted?: boolean;
}

/**
 * Ships the committed tree of a git repository (`git archive`), as NeMo-Run's GitArchivePackager.
 * Uncommitted or untracked changes are refused, never silently left out, unless `includeUncommitted`.
 *
 * @example
 * new SlurmExecutor({ partition: "gpu", tunnel, packager: new GitArchivePackager() });
 */
export class GitArchivePackager implements Packager {
  readonly kind = "git-archive";
  readonly root: string;
  readonly options: Readonly<GitArchivePackagerOptions>;

  constructor(options: GitArchivePackagerOptions = {}) {
    const path = resolve(options.path ?? process.cwd());
    try {
      this.root = execFileSync("git", ["rev-parse", "--show-toplevel"], {
        cwd: path,
        encoding: "utf8",
      }).trim();
    } catch {
      throw new PackagingError(
        `${path} is not inside a git repository. Use PatternPackager to ship files by glob, or run \`git init\` and commit.`,
      );
    }
    this.options = Object.freeze({ ...options, path });
  }

  async archive(): Promise<Buffer> {
    const status = await runProcess([
      "git",
      "-C",
      this.root,
      "status",
      "--porcelain",
      "--untracked-files=all",
    ]);
    if (status.code !== 0)
      throw new PackagingError(`git status failed in ${this.root}: ${status.stderr.trim()}`);
    const changed = status.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => line.slice(3));
    if (!this.options.includeUncommitted) {
      if (changed.length > 0) throw new UncommittedChangesError(this.root, changed);
      const result = await runProcessBytes(
        ["git", "archive", "--format=tar", this.options.ref ?? "HEAD"],
        this.root,
      );
      if (result.code !== 0)
        throw new PackagingError(`git archive failed in ${this.root}: ${result.stderr.trim()}`);
      return result.stdout;
    }
    // The working tree: tracked files as they are now, and untracked files git does not ignore.
    const files = await runProcess([
      "git",
      "-C",
      this.root,
      "ls-files",
      "-z",
      "--cached",
      "--others",
      "--exclude-standard",
    ]);
    return tarFiles(
      this.root,
      files.stdout.split("\0").filter((file) => file !== ""),
    );
  }

  toConfig(): PackagerConfig {
    return { kind: this.kind, ...this.options };
  }
}
