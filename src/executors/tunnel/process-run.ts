import { spawn } from "node:child_process";
import type { ExecResult } from "./tunnel.js";

/** Runs a program to its end, feeding `input` on stdin; a program that cannot start resolves with code 127. */
export function runProcess(
  argv: readonly string[],
  options: { readonly input?: Buffer | string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.env ? { env: options.env } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("error", (error) => resolve({ code: 127, stdout: "", stderr: error.message }));
    child.once("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    // A script that exits early closes its stdin: the unread rest of the input is not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Runs a local program and gives its raw stdout bytes (for archives). */
export function runProcessBytes(
  argv: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("error", (error) => resolve({ code: 127, stdout: Buffer.alloc(0), stderr: error.message }));
    child.once("close", (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}

/** Bash-quotes one word. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A bash script that writes each file (base64 in a here-document, so any bytes survive). */
export function writeFilesScript(
  files: readonly { path: string; content: string | Buffer; mode?: number }[],
): string {
  const lines = ["set -e"];
  const dirs = new Set(files.map((file) => file.path.slice(0, file.path.lastIndexOf("/")) || "/"));
  if (dirs.size > 0) lines.push(`mkdir -p ${[...dirs].map(quote).join(" ")}`);
  for (const file of files) {
    const temp = `${file.path}.labrun-tmp`;
    lines.push(`base64 -d > ${quote(temp)} <<'LABRUN_EOF'`);
    lines.push(
      Buffer.from(file.content)
        .toString("base64")
        .replace(/.{1,76}/g, "$&\n")
        .trimEnd(),
    );
    lines.push("LABRUN_EOF");
    if (file.mode !== undefined) lines.push(`chmod ${file.mode.toString(8)} ${quote(temp)}`);
    lines.push(`mv -f ${quote(temp)} ${quote(file.path)}`);
  }
  return lines.join("\n") + "\n";
}

/** A bash script printing, per file, `M` (missing) or `F <base64 of the bytes from its offset>`. */
export function readFromScript(files: readonly { path: string; offset: number }[]): string {
  return files
    .map(
      ({ path, offset }) =>
        `if [ -f ${quote(path)} ]; then printf 'F '; tail -c +${offset + 1} ${quote(path)} | base64 -w0; echo; else echo M; fi`,
    )
    .join("\n");
}

export function parseReadFrom(stdout: string, count: number): (Buffer | undefined)[] {
  const lines = stdout.split("\n");
  return Array.from({ length: count }, (_, i) => {
    const line = lines[i] ?? "M";
    return line.startsWith("F") ? Buffer.from(line.slice(2), "base64") : undefined;
  });
}
