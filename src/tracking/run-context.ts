import { existsSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const projectMarkers = ["package.json", "pyproject.toml", ".git"];

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (projectMarkers.some((marker) => existsSync(join(dir, marker)))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * Where this script sits in its project, to compose run prefixes (ML-Dash's `RUN`):
 * `RUN.entry = import.meta.filename` then `` prefix: `${RUN.user}/vision/${RUN.pathStem}` ``.
 */
export class RunContext {
  #entry: string | undefined;
  /** The time this module was loaded; the same for the whole process (sweeps share it). */
  readonly now = new Date();

  /** The entry point: a file or a sweep folder. Default: the script Node was started with. Accepts file: URLs. */
  get entry(): string {
    return this.#entry ?? resolve(process.argv[1] ?? process.cwd());
  }
  set entry(value: string) {
    this.#entry = resolve(value.startsWith("file:") ? fileURLToPath(value) : value);
  }

  /** The nearest folder above the entry with a package.json, pyproject.toml or .git (else the cwd). */
  get projectRoot(): string {
    const entry = this.entry;
    const isDir = existsSync(entry) && statSync(entry).isDirectory();
    return findProjectRoot(isDir ? entry : dirname(entry));
  }

  /** The entry's path from the project root, without extension and with "/" separators ("vision/resnet/train"). */
  get pathStem(): string {
    const entry = this.entry;
    let path = relative(this.projectRoot, entry);
    // An entry outside the project (no marker above it and another cwd) is named by itself alone.
    if (path.startsWith("..") || path === "") path = basename(entry);
    const stem =
      extname(path) && !(existsSync(entry) && statSync(entry).isDirectory())
        ? path.slice(0, -extname(path).length)
        : path;
    return stem.split(sep).join("/");
  }

  /** `$LABRUN_USER`, else `$USER`, else the login name. */
  get user(): string {
    const fromEnv = process.env.LABRUN_USER || process.env.USER;
    if (fromEnv) return fromEnv;
    try {
      return userInfo().username;
    } catch {
      return "user";
    }
  }
}

/** The process-wide RunContext. */
export const RUN = new RunContext();
