import { spawnSync } from "node:child_process";
import { hostname, userInfo } from "node:os";

export interface Provenance {
  readonly host: string;
  readonly user: string;
  readonly cwd: string;
  readonly commandLine: string[];
  readonly git: GitInfo | null;
}

/** Where and from what code an experiment is launched. */
export function currentProvenance(cwd = process.cwd()): Provenance {
  return {
    host: hostname(),
    user: process.env.LABRUN_USER ?? process.env.USER ?? safeUserName(),
    cwd,
    commandLine: [...process.argv],
    git: gitInfo(cwd),
  };
}

/** The git state of the code an experiment runs. */
export interface GitInfo {
  readonly root: string;
  /** `(no commit yet)` in a repository without commits. */
  readonly commit: string;
  /** null on a detached HEAD. */
  readonly branch: string | null;
  /** True when tracked files have uncommitted changes (untracked files don't count). */
  readonly dirty: boolean;
}

/** The git repository holding `dir`, or null when it is not in one (or git is not installed). */
export function gitInfo(dir: string): GitInfo | null {
  const git = (...args: string[]) => spawnSync("git", args, { cwd: dir, encoding: "utf8", timeout: 10_000 });
  const root = git("rev-parse", "--show-toplevel");
  if (root.status !== 0) return null;
  const head = git("rev-parse", "HEAD");
  const branch = git("symbolic-ref", "--short", "-q", "HEAD");
  const status = git("status", "--porcelain", "--untracked-files=no");
  return {
    root: root.stdout.trim(),
    commit: head.status === 0 ? head.stdout.trim() : "(no commit yet)",
    branch: branch.status === 0 ? branch.stdout.trim() : null,
    dirty: status.status === 0 ? status.stdout.trim().length > 0 : true,
  };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
