import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "../executors/job-files.js";
import { labrunCliPath } from "../util/engine-paths.js";
import { writeFileAtomic } from "../util/atomic-file.js";

const shimDirs = new Map<string, string>();

/**
 * A folder holding a `labrun` script that runs this engine with this Node, under the workspace (so jobs on a
 * cluster sharing the file system see it too). First on a job's PATH, it makes `labrun log …` work in any job,
 * whether labrun is installed globally or was started as `node bin/labrun.js`.
 */
export function cliShimDir(workspaceRoot: string): string {
  const node = process.execPath;
  const cli = labrunCliPath();
  const key = `${workspaceRoot}\n${node}\n${cli}`;
  const known = shimDirs.get(key);
  if (known) return known;
  const hash = createHash("sha256").update(`${node}\n${cli}`).digest("hex").slice(0, 16);
  const dir = join(workspaceRoot, "bin", hash);
  const file = join(dir, "labrun");
  const content = `#!/bin/sh\n# Runs the labrun that launched this job.\nexec ${shellQuote(node)} ${shellQuote(cli)} "$@"\n`;
  if (!existsSync(file) || readFileSync(file, "utf8") !== content) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, content, { mode: 0o755 });
  }
  shimDirs.set(key, dir);
  return dir;
}
