import { resolve } from "node:path";
import { PackagingError } from "../../errors.js";
import { quote, runProcess } from "../tunnel/process-run.js";
import { tarFiles } from "./tar-files.js";
import type { Packager, PackagerConfig } from "./packager.js";

export interface PatternPackagerOptions {
  /** Globs relative to `root` (`**` crosses directories): `["src/**\/*.py", "configs/*.yaml"]`. */
  readonly include: readonly string[];
  /** Directory the globs and the shipped paths are relative to; default: the current directory. */
  readonly root?: string;
}

/**
 * Ships the files matching globs (NeMo-Run's PatternPackager), for code that is not in git or only part of it.
 *
 * @example
 * new PatternPackager({ include: ["*.py", "configs/**\/*.yaml"] });
 */
export class PatternPackager implements Packager {
  readonly kind = "pattern";
  readonly root: string;
  readonly options: Readonly<Required<PatternPackagerOptions>>;

  constructor(options: PatternPackagerOptions) {
    if (!options.include?.length)
      throw new PackagingError("PatternPackager needs at least one glob in `include`.");
    const unsafe = options.include.find((glob) => /[;&|`$<>()\\"'\n]/.test(glob));
    if (unsafe !== undefined)
      throw new PackagingError(
        `PatternPackager glob ${JSON.stringify(unsafe)} has shell characters; use only names, /, *, ?, ** and [...].`,
      );
    this.root = resolve(options.root ?? process.cwd());
    this.options = Object.freeze({ include: Object.freeze([...options.include]), root: this.root });
  }

  async archive(): Promise<Buffer> {
    // bash's globstar matches the way users expect from their shell, without a glob library.
    const script = `shopt -s globstar nullglob dotglob; cd -- ${quote(this.root)} || exit 1; for f in ${this.options.include.join(
      " ",
    )}; do [ -f "$f" ] && printf '%s\\0' "$f"; done; true`;
    const listed = await runProcess(["bash", "-c", script]);
    if (listed.code !== 0)
      throw new PackagingError(`Listing files in ${this.root} failed: ${listed.stderr.trim()}`);
    const files = [...new Set(listed.stdout.split("\0").filter((file) => file !== ""))];
    if (files.length === 0)
      throw new PackagingError(
        `No file in ${this.root} matches ${this.options.include.join(", ")}. Check the globs and the \`root\`.`,
      );
    return tarFiles(this.root, files);
  }

  toConfig(): PackagerConfig {
    return { kind: this.kind, include: [...this.options.include], root: this.root };
  }
}
