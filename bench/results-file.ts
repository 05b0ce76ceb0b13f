// bench/RESULTS.md holds one section per benchmark, each between `<!-- name:start -->` and `<!-- name:end -->`.
// A benchmark rewrites only its own section, so running one leaves the others' figures in place.

import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Replaces the `name` section of `file` with `markdown` (appended at the end when the file has none). */
export function writeResultsSection(file: string, name: string, markdown: string): void {
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
