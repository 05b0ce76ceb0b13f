// bench/RESULTS.md holds one section per benchmark, each between `<!-- name:start -->` and `<!-- name:end -->`.
// A benchmark rewrites only its own section, so running one leaves the others' figures in place; and it writes
// only when asked (`--report`, or LABRUN_BENCH_REPORT=1 as `npm run bench:report` sets), so a trial run on a
// busy or different machine does not replace the recorded figures.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

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
  writeFileSync(`${file}.tmp`, next);
  renameSync(`${file}.tmp`, file);
  formatWithPrettier(file);
}

/**
 * Formats a file the benchmark wrote with the project's prettier, so `npm run lint:format` (part of `npm test`)
 * stays clean after a `--report` run.
 */
export function formatWithPrettier(file: string): void {
  const prettier = createRequire(import.meta.url).resolve("prettier/bin/prettier.cjs");
  const result = spawnSync(process.execPath, [prettier, "--write", "--log-level", "warn", file], {
    stdio: "inherit",
  });
  if (result.status !== 0)
    console.error(`prettier could not format ${file}: run \`npx prettier --write ${file}\``);
}
