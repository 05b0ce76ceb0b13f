// bench/RESULTS.md holds one section per benchmark, each between `<!-- name:start -->` and `<!-- name:end -->`.
// A benchmark rewrites only its own section, so running one leaves the others' figures in place; and it writes
// only when asked (`--report`, or LABRUN_BENCH_REPORT=1 as `npm run bench:report` sets), so a trial run on a
// busy or different machine does not replace the recorded figures.

import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Whether this run should write its figures into bench/RESULTS.md. */
export const reportRequested = process.argv.includes("--report") || process.env.LABRUN_BENCH_REPORT === "1";

/**
 * Replaces the `name` section of `file` with `markdown` (appended at the end when the file has none), when a
 * report was requested; otherwise says how to ask for one.
 */
export function writeResultsSection(file: string, name: string, markdown: string): void {
  if (!reportRequested) {
    console.log(`(bench/RESULTS.md left as it is: run with --report to write the "${name}" section)`);
    return;
  }
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const from = text.indexOf(start);
  const to = from < 0 ? -1 : text.indexOf(end, from);
  const next =
    from >= 0 && to >= 0
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}${text.trim() ? "\n\n" : ""}${block}\n`;
  writeFileSync(file, next);
}
