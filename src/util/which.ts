import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** Absolute path of `program` as the shell would find it, or undefined. */
export function which(program: string, cwd = process.cwd()): string | undefined {
  if (program.includes("/")) {
    const file = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutableFile(file) ? file : undefined;
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, program);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
