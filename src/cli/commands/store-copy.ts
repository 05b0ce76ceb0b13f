import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { StoreCopyIncompleteError } from "../../errors.js";
import { openFileStorage, type OpenedFileStorage } from "../../server/files/open-file-storage.js";
import type { CopyServerReport } from "../../server/store-copy/copy-server.js";
import { copyServer } from "../../server/store-copy/copy-server.js";
import { sqlitePath } from "../../store/open-store.js";
import type { CopyProgress } from "../../store/sql/copy/index.js";
import { formatTable } from "../../util/table.js";
import { printJson } from "../output.js";

/** `labrun store copy`'s options, as the option table gives them. */
export interface StoreCopyOptions {
  readonly from: string;
  readonly to: string;
  readonly filesFrom?: string | undefined;
  readonly filesTo?: string | undefined;
  readonly s3Endpoint?: string | undefined;
  readonly s3Addressing?: "path" | "virtual" | undefined;
  readonly force?: boolean | undefined;
  readonly verify: boolean;
  readonly json?: boolean | undefined;
}

const number = (n: number) => Math.round(n).toLocaleString("en-US");

/** One progress line: runs done / to copy, points and their rate. */
export function progressLine(p: CopyProgress): string {
  const rate = p.elapsedMs > 0 ? (p.points * 1000) / p.elapsedMs : 0;
  return (
    `store copy: ${number(p.runsDone)}/${number(p.runsToCopy)} runs, ${number(p.points)} points ` +
    `(${number(rate)} points/s), ${number(p.logs)} logs, ${number(p.files)} files, ${(p.elapsedMs / 1000).toFixed(1)} s`
  );
}

/** The source server's files folder by default: `--files`' default sits beside its SQLite database. */
function defaultFilesFrom(from: string): string | undefined {
  if (!/^sqlite:/i.test(from)) return undefined;
  const dir = join(dirname(resolve(sqlitePath(from))), "files");
  return existsSync(dir) ? dir : undefined;
}

/**
 * `labrun store copy --from sqlite:… --to postgres://…`: copies a server's database and files, prints a
 * progress line on stderr (at the first run, then every second), then the verification's counts. Exits
 * non-zero (STORE_COPY_INCOMPLETE) when the two sides differ.
 */
export async function storeCopyCommand(options: StoreCopyOptions): Promise<void> {
  const filesFromSpec = options.filesFrom ?? defaultFilesFrom(options.from);
  const s3 = {
    ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.s3Addressing ? { s3Addressing: options.s3Addressing } : {}),
  };
  const forSpec = (spec: string) => (/^s3:\/\//i.test(spec) ? s3 : {});
  const filesFrom = filesFromSpec ? await openFileStorage(filesFromSpec, forSpec(filesFromSpec)) : undefined;
  try {
    const filesTo = options.filesTo
      ? await openFileStorage(options.filesTo, forSpec(options.filesTo))
      : undefined;
    try {
      await copyWithReport(options, filesFrom, filesTo);
    } finally {
      await filesTo?.storage.close?.();
    }
  } finally {
    await filesFrom?.storage.close?.();
  }
}

async function copyWithReport(
  options: StoreCopyOptions,
  filesFrom: OpenedFileStorage | undefined,
  filesTo: OpenedFileStorage | undefined,
): Promise<void> {
  let lastPrint = 0;
  let last: CopyProgress | undefined;
  const report = await copyServer({
    from: options.from,
    to: options.to,
    ...(filesFrom ? { filesFrom } : {}),
    ...(filesTo ? { filesTo } : {}),
    ...(options.force ? { force: true } : {}),
    verify: options.verify,
    onProgress: (progress) => {
      last = progress;
      const now = Date.now();
      if (lastPrint === 0 || now - lastPrint >= 1000) {
        lastPrint = now;
        process.stderr.write(`${progressLine(progress)}\n`);
      }
    },
  });
  if (last) process.stderr.write(`${progressLine(report.copy)}\n`);
  const differences = report.comparison?.differences ?? [];
  if (options.json) printJson(report);
  else process.stdout.write(describe(report));
  if (differences.length > 0) {
    throw new StoreCopyIncompleteError(
      `The copy differs from the source in ${differences.length} place(s): ${differences.slice(0, 5).join("; ")}` +
        `${differences.length > 5 ? "; …" : ""}. Stop the servers writing to either database and run the same ` +
        "command again (it copies what is missing; --force replaces what differs).",
      { details: { differences: differences.slice(0, 100) } },
    );
  }
}

function describe(report: CopyServerReport): string {
  const { copy, comparison } = report;
  const lines = [
    `copied ${copy.runsDone} run(s) (${copy.plan.alreadyCopied} already in the target), ${copy.tokens} token(s), ` +
      `${report.blobsCopied} file(s)' bytes in ${(copy.elapsedMs / 1000).toFixed(1)} s` +
      (copy.plan.conflicts.length > 0
        ? `; replaced ${copy.plan.conflicts.length} conflicting id(s) (--force)`
        : ""),
  ];
  if (comparison) {
    const { source, target } = comparison;
    const keys = [
      "runs",
      "streams",
      "points",
      "logs",
      "params",
      "tags",
      "batches",
      "files",
      "fileBytes",
      "tokens",
    ] as const;
    lines.push(
      `verified (target counted over the source's ids; ${report.blobsVerified} file(s) hashed, SHA-256):`,
      formatTable(
        ["WHAT", "SOURCE", "TARGET"],
        keys.map((key) => [
          key === "fileBytes" ? "file bytes" : key,
          number(source[key]),
          number(target[key]),
        ]),
      ),
      comparison.differences.length === 0 ? "the target holds an exact copy." : "DIFFERENCES FOUND (below).",
    );
  }
  return `${lines.join("\n")}\n`;
}
