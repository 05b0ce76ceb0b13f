import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PackagingError } from "../../errors.js";

/** A tar archive of the listed files (relative to `root`); files listed but deleted since are skipped. */
export function tarFiles(root: string, files: readonly string[]): Promise<Buffer> {
  const present = files.filter((file) => existsSync(resolve(root, file)));
  return new Promise((done, fail) => {
    const child = spawn("tar", ["-c", "--null", "--no-recursion", "-T", "-"], { cwd: root });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.once("error", (error) => fail(new PackagingError(`tar could not start: ${error.message}`)));
    child.once("close", (code) =>
      code === 0
        ? done(Buffer.concat(out))
        : fail(new PackagingError(`tar failed in ${root}: ${err.trim()}`)),
    );
    child.stdin.end(present.map((file) => `${file}\0`).join(""));
  });
}
