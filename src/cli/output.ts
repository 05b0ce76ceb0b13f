import { isLabrunError } from "../errors.js";
import type { RecordWarning } from "../util/record-warning.js";
import { paint, useColor } from "../util/table.js";
import { stringifyWire } from "../format/wire-json.js";

/** Where every error of the CLI ends: one clear line, a non-zero exit code, no stack (unless LABRUN_DEBUG). */
export function reportError(error: unknown): number {
  const color = useColor(process.stderr);
  if (isLabrunError(error)) {
    process.stderr.write(
      `${paint("red", "error", color)} ${paint("dim", `[${error.code}]`, color)} ${error.message}\n`,
    );
    if (process.env.LABRUN_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.code === "USAGE" ? 2 : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${paint("red", "error", color)} ${message}\n` +
      (process.env.LABRUN_DEBUG && error instanceof Error
        ? `${error.stack}\n`
        : "(unexpected error; run again with LABRUN_DEBUG=1 for details, and report it if it persists)\n"),
  );
  return 1;
}

/** Standard JSON for scripts (jq): NaN and ±Infinity, which JSON cannot hold, become the strings "NaN", "Infinity", "-Infinity". */
export function printJson(value: unknown): void {
  process.stdout.write(`${stringifyWire(value, 2)}\n`);
}

/**
 * Prints the records a command skipped, on stderr: one `warning <file>: <problem>` line each, or with `--json`
 * one line `{"warnings":[{file,problem}]}` (stdout keeps its documented shape: an array stays an array).
 */
export function printWarnings(warnings: readonly RecordWarning[], json: boolean): void {
  if (warnings.length === 0) return;
  if (json) {
    process.stderr.write(`${JSON.stringify({ warnings })}\n`);
    return;
  }
  const label = paint("yellow", "warning", useColor(process.stderr));
  for (const { file, problem } of warnings) process.stderr.write(`${label} ${file}: ${problem}\n`);
}
