// Runs a CLI command's function in this process, as bin/labrun.js would: its stdout, its stderr, and the exit
// code that main.ts gives (a thrown error goes through the CLI's one error reporter).
import { reportError } from "../../src/cli/output.js";

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function capture(command: () => number | Promise<number>): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    log: console.log,
    error: console.error,
  };
  const text = (args: unknown[]) => `${args.map(String).join(" ")}\n`;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as never;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as never;
  console.log = (...args: unknown[]) => void (stdout += text(args));
  console.error = (...args: unknown[]) => void (stderr += text(args));
  let code: number;
  try {
    code = await command();
  } catch (error) {
    code = reportError(error);
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    console.log = saved.log;
    console.error = saved.error;
  }
  return { code, stdout, stderr };
}
