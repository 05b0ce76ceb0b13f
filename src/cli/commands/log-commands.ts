import { existsSync } from "node:fs";
import { RunWriteError, UsageError } from "../../errors.js";
import type { Run } from "../../tracking/run.js";
import { checkLogLevel } from "../../format/log-writer.js";
import type { JsonValue } from "../../format/json-codec.js";
import { unflattenParams } from "../../tracking/params.js";
import { openRunForLogging } from "./run-lookup.js";
import { isSystemIoError } from "../../util/disk-full.js";

export interface LogTarget {
  readonly prefix?: string;
  readonly root?: string;
}

/**
 * `key=value` pairs from the command line, typed as YAML scalars are: numbers, true/false, null, NaN and
 * ±Infinity become values of those types, `{…}`/`[…]` is JSON, anything else stays a string.
 */
export function parseAssignments(pairs: readonly string[]): Record<string, JsonValue> {
  const fields: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`"${pair}" is not key=value (e.g. loss=0.25).`);
    fields[pair.slice(0, eq)] = parseScalar(pair.slice(eq + 1));
  }
  return fields;
}

export function parseScalar(text: string): JsonValue {
  const trimmed = text.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  const special: Record<string, JsonValue> = {
    true: true,
    false: false,
    null: null,
    nan: Number.NaN,
    ".nan": Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    "+inf": Number.POSITIVE_INFINITY,
    "-inf": Number.NEGATIVE_INFINITY,
    infinity: Number.POSITIVE_INFINITY,
    "-infinity": Number.NEGATIVE_INFINITY,
  };
  const lower = trimmed.toLowerCase();
  if (lower in special) return special[lower]!;
  if (/^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

export async function logMetricCommand(stream: string, pairs: string[], target: LogTarget): Promise<number> {
  // Everything is checked before the run is opened: bad input creates no run.
  const fields = parseAssignments(pairs);
  if (Object.keys(fields).length === 0)
    throw new UsageError("Give at least one field, e.g. `labrun log metric train loss=0.5 step=3`.");
  const run = openRunForLogging(target);
  run.metrics(stream).log(fields);
  await completeWritten(run);
  return 0;
}

/** Ends the CLI's writer; a record the disk refused is an error here (a command, not a training loop). */
async function completeWritten(run: Run): Promise<void> {
  await run.complete();
  const status = run.writeStatus();
  if (status && status.lost > 0)
    throw new RunWriteError(run.prefix, `${status.lost} record(s)`, status.lastError);
}

/**
 * A file write refused by the system (ENOSPC, EIO, …) as `RUN_WRITE_FAILED`, after ending the writer: the run
 * keeps a refused write queued, so it is refused for good when the run ends with it still unwritten.
 */
async function writing<T>(run: Run, what: string, write: () => T | Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await write();
  } catch (error) {
    if (!isSystemIoError(error)) throw error;
    const { code } = error;
    await run.complete();
    throw new RunWriteError(run.prefix, what, { code, message: (error as Error).message });
  }
  await run.complete();
  const status = run.writeStatus();
  if (status && status.lost > 0) throw new RunWriteError(run.prefix, what, status.lastError);
  return result;
}

export async function logParamCommand(pairs: string[], target: LogTarget): Promise<number> {
  const params = unflattenParams(parseAssignments(pairs));
  const run = openRunForLogging(target);
  await writing(run, "parameters.json", () => run.params.set(params));
  return 0;
}

export async function logFileCommand(
  folder: string,
  path: string,
  options: { name?: string },
  target: LogTarget,
): Promise<number> {
  if (!existsSync(path)) throw new UsageError(`${path} does not exist; give the path of a file to store.`);
  const run = openRunForLogging(target);
  const stored = await writing(run, path, () =>
    run.files(folder).save(path, options.name ? { name: options.name } : {}),
  );
  console.log(stored);
  return 0;
}

export async function logMessageCommand(
  words: string[],
  options: { level?: string },
  target: LogTarget,
): Promise<number> {
  const level = checkLogLevel(options.level ?? "info");
  const run = openRunForLogging(target);
  run.log(words.join(" "), { level });
  await completeWritten(run);
  return 0;
}
