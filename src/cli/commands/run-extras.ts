import { encodeJson, type JsonValue } from "../../format/json-codec.js";
import { unnamedMetricDir } from "../../format/names.js";
import type { LogRecord } from "../../tracking/log-read.js";
import type { RunReader, TrackEntry } from "../../tracking/run-reader.js";
import { formatTable } from "../../util/table.js";

/** The one name of ML-Dash's unnamed metric stream in the CLI, as on the dashboard and the server: `None`. */
export const streamLabel = (name: string | null): string => name ?? unnamedMetricDir;

/** A stream name typed on the command line: `None` (or `-`, kept from before) is the unnamed stream. */
export const streamArgument = (name: string): string | null =>
  name === unnamedMetricDir || name === "-" ? null : name;

export interface TrackSummary {
  readonly topic: string;
  readonly entries: number;
  readonly last: TrackEntry | null;
}

/** `runs show --tracks`: each track's topic, entry count and last entry. */
export async function readTracks(run: RunReader): Promise<TrackSummary[]> {
  const out: TrackSummary[] = [];
  for (const topic of run.tracks.list().sort()) {
    const entries = await run.tracks(topic).read();
    out.push({ topic, entries: entries.length, last: entries.at(-1) ?? null });
  }
  return out;
}

/** `runs show --logs`: every log record, with its metadata. */
export async function readAllLogs(run: RunReader): Promise<LogRecord[]> {
  return (await run.logs.read()).records;
}

/** The logs section of `runs show`: time, level, message and metadata (as JSON) of each record. */
export function printLogs(records: readonly LogRecord[]): void {
  console.log(`\nlogs (${records.length})`);
  console.log(
    records.length
      ? formatTable(
          ["time", "level", "message", "metadata"],
          records.map((r) => [
            r.timestamp,
            r.level,
            r.message,
            r.metadata && Object.keys(r.metadata).length > 0 ? encodeJson(r.metadata as JsonValue) : "",
          ]),
        )
      : "  (none)",
  );
}

/** The tracks section of `runs show`. */
export function printTracks(tracks: readonly TrackSummary[]): void {
  console.log("\ntracks (last entry)");
  console.log(
    tracks.length
      ? formatTable(
          ["topic", "entries", "last"],
          tracks.map((t) => [t.topic, String(t.entries), t.last ? encodeJson(t.last as JsonValue) : "-"]),
        )
      : "  (none)",
  );
}
