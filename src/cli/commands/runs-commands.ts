import { join } from "node:path";
import { RunNotFoundError, UsageError } from "../../errors.js";
import { parsePrefix } from "../../format/names.js";
import { describeRemoteStatus, readRemoteStatus } from "../../tracking/remote/remote-status.js";
import { Workspace } from "../../workspace/workspace.js";
import { runStatuses } from "../../format/run-record.js";
import type { ReportedStatus } from "../../format/run-record.js";
import { encodeJson } from "../../format/json-codec.js";
import { formatTable, paintState } from "../../util/table.js";
import { printJson, printWarnings } from "../output.js";
import { RecordWarnings, skipCorrupt } from "../../util/record-warning.js";
import { metricDataFile } from "../../format/metric-read.js";
import { jsonlProblem } from "../../format/jsonl-file.js";
import { subdirectories } from "../../util/subdirectories.js";
import { findRuns, openRunForReading } from "./run-lookup.js";
import {
  printLogs,
  printTracks,
  readAllLogs,
  readTracks,
  streamArgument,
  streamLabel,
} from "./run-extras.js";

export interface RunsGlobal {
  readonly root?: string;
  readonly workspace?: string;
  readonly json?: boolean;
}

export function runsListCommand(
  options: { prefix?: string; tag?: string; status?: string },
  global: RunsGlobal,
): number {
  const status = options.status?.toUpperCase();
  if (status && !([...runStatuses, "UNKNOWN"] as string[]).includes(status))
    throw new UsageError(
      `--status must be one of ${[...runStatuses, "UNKNOWN"].join(", ")}, not "${options.status}".`,
    );
  const warnings = new RecordWarnings();
  const runs = findRuns(
    {
      ...(global.root ? { root: global.root } : {}),
      ...(global.workspace ? { workspace: global.workspace } : {}),
      ...(options.prefix ? { prefix: options.prefix } : {}),
      ...(options.tag ? { tag: options.tag } : {}),
      ...(status ? { status: status as ReportedStatus } : {}),
    },
    warnings.add,
  );
  printWarnings(warnings.list, global.json ?? false);
  if (global.json) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    console.log(
      "No runs match. Runs are created by `new Run(...)`, the Python client, `labrun log`, and launched jobs.",
    );
    return 0;
  }
  console.log(
    formatTable(
      ["Prefix", "Status", "Started", "Tags"],
      runs.map((run) => [
        run.prefix,
        paintState(run.status) + (run.died ? " (process died)" : ""),
        run.startedAt ?? run.createdAt ?? "-",
        run.tags.join(", "),
      ]),
    ),
  );
  return 0;
}

export interface RunsShowOptions {
  /** Also every log record, with its metadata. */
  readonly logs?: boolean;
  /** Also the tracks: topic, entry count, last entry. */
  readonly tracks?: boolean;
}

export async function runsShowCommand(
  prefix: string,
  global: RunsGlobal,
  options: RunsShowOptions = {},
): Promise<number> {
  // A run in remote mode leaves its last session's status in the workspace's buffer (remote-status.json).
  const remote = readRemoteStatus(
    join(new Workspace(global.workspace).root, "buffer"),
    parsePrefix(prefix).prefix,
  );
  // Run folders that could not be read while looking for this one matter only if it is not found.
  const lookup = new RecordWarnings();
  let run;
  try {
    run = openRunForReading(prefix, global, lookup.add);
  } catch (error) {
    if (!(error instanceof RunNotFoundError) || !remote) {
      printWarnings(lookup.list, global.json ?? false);
      throw error;
    }
    if (global.json) printJson({ prefix: parsePrefix(prefix).prefix, remote });
    else
      console.log(
        `${parsePrefix(prefix).prefix}: no local folder (remote mode)\n${describeRemoteStatus(remote)}`,
      );
    return 0;
  }
  // Parts of a run that cannot be read are left out with a warning; the rest is shown.
  const warnings = new RecordWarnings();
  const info = run.info();
  const params = skipCorrupt(() => run.params.get(), {}, warnings.add);
  const metrics = run.metrics.list().map((summary) => ({
    ...summary,
    name: streamLabel(summary.name),
    last: run.metrics(summary.name).last()?.data ?? null,
  }));
  const files = skipCorrupt(() => run.listFiles(), [], warnings.add);
  const writing = info.status === "RUNNING";
  const jsonlFiles: { file: string; expectedLines?: number }[] = [
    ...metrics.map((m) => ({
      file: metricDataFile(run.dir, streamArgument(m.name)),
      expectedLines: m.totalDataPoints,
    })),
    { file: join(run.dir, "logs", "logs.jsonl") },
    ...subdirectories(join(run.dir, "tracks")).map((folder) => ({
      file: join(run.dir, "tracks", folder, "data.jsonl"),
    })),
  ];
  run.tracks.list(); // names the tracks whose metadata.json cannot be read
  for (const { file, expectedLines } of jsonlFiles) {
    const problem = await jsonlProblem(file, { writing, ...(expectedLines ? { expectedLines } : {}) });
    if (problem) warnings.add({ file, problem });
  }
  const logs = options.logs ? await readAllLogs(run) : undefined;
  const tracks = options.tracks ? await readTracks(run) : undefined;
  for (const warning of run.warnings.list) warnings.add(warning);
  if (global.json) {
    printJson({
      ...info,
      params,
      metrics,
      files,
      ...(logs ? { logs } : {}),
      ...(tracks ? { tracks } : {}),
      ...(remote ? { remote } : {}),
      warnings: warnings.list,
    });
    return 0;
  }
  printWarnings(warnings.list, false);
  console.log(
    `${info.prefix}  ${paintState(info.status)}${info.statusReason ? ` (${info.statusReason})` : ""}`,
  );
  if (info.description) console.log(info.description);
  console.log(`folder: ${info.dir}`);
  if (info.tags.length) console.log(`tags: ${info.tags.join(", ")}`);
  if (info.writeErrors > 0)
    console.log(
      `writes: ${info.writeErrors} failed (retried), ${info.lostRecords} record(s) lost` +
        (info.lastWriteError ? `; last: ${info.lastWriteError.code} ${info.lastWriteError.message}` : ""),
    );
  console.log("\nparameters");
  const flat = Object.entries(params);
  console.log(
    flat.length
      ? formatTable(
          ["key", "value"],
          flat.map(([k, v]) => [k, encodeJson(v as never)]),
        )
      : "  (none)",
  );
  console.log("\nmetrics (last point)");
  console.log(
    metrics.length
      ? formatTable(
          ["stream", "points", "last"],
          metrics.map((m) => [m.name, String(m.totalDataPoints), m.last ? encodeJson(m.last as never) : "-"]),
        )
      : "  (none)",
  );
  if (tracks) printTracks(tracks);
  if (logs) printLogs(logs);
  console.log(`\nfiles: ${files.length}`);
  if (remote) console.log(`\n${describeRemoteStatus(remote)}`);
  return 0;
}

export async function runsMetricsCommand(
  prefix: string,
  name: string,
  options: { csv?: boolean; maxPoints?: string; from?: string; to?: string; by?: string },
  global: RunsGlobal,
): Promise<number> {
  const run = openRunForReading(prefix, global);
  const number = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new UsageError(`${flag} takes a number, not "${value}".`);
    return parsed;
  };
  const maxPoints = number("--max-points", options.maxPoints);
  const from = number("--from", options.from);
  const to = number("--to", options.to);
  const result = await run.metrics(streamArgument(name)).read({
    ...(maxPoints !== undefined ? { maxPoints } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(options.by ? { by: options.by } : {}),
  });
  if (global.json) {
    printJson(result);
    return 0;
  }
  if (result.skipped > 0 || result.torn)
    printWarnings(
      [
        {
          file: metricDataFile(run.dir, streamArgument(name)),
          problem: [
            result.skipped > 0 ? `${result.skipped} line(s) that are not JSON records, skipped` : "",
            result.torn ? "an incomplete last line (a write in progress, or cut short), skipped" : "",
          ]
            .filter(Boolean)
            .join("; "),
        },
      ],
      false,
    );
  const fields = [...new Set(result.points.flatMap((point) => Object.keys(point.data)))];
  const rows = result.points.map((point) => [String(point.index), ...fields.map((f) => cell(point.data[f]))]);
  if (options.csv) {
    console.log(["index", ...fields].join(","));
    for (const row of rows) console.log(row.join(","));
  } else {
    console.log(formatTable(["index", ...fields], rows));
    if (result.downsampled)
      console.log(`(${result.points.length} of ${result.total} points, downsampled keeping extremes)`);
  }
  return 0;
}

function cell(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "number") return String(value); // NaN, Infinity, -Infinity print as such
  return typeof value === "string" ? value : JSON.stringify(value);
}
