import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { selectRows } from "../../format/downsample.js";
import { parseJson, type JsonValue } from "../../format/json-codec.js";
import { subdirectories } from "../../util/subdirectories.js";
import type { MetricPoint, MetricRange, MetricSeries, MetricStreamSummary } from "../store.js";

/**
 * ML-Dash's tracks (`tracks/<topic>/data.jsonl`, one `{timestamp, …fields}` entry a line) read as the metric
 * streams `track.<folder>`, the name the server gives them (the ML-Dash protocol and `labrun sync` write a
 * track there), so a run folder and a database show a run's tracks alike. Read only: the store writes the
 * streams it is sent under `metrics/`. Tracks are small (robot poses, per-episode events): a read parses the
 * whole file.
 */
export const trackStreamPrefix = "track.";

/** The track folders of a run, as stream names (`track.robot_pos`). */
export function trackStreams(dir: string): string[] {
  return subdirectories(join(dir, "tracks"))
    .filter((folder) => existsSync(trackFile(dir, folder)))
    .map((folder) => `${trackStreamPrefix}${folder}`);
}

const trackFile = (dir: string, folder: string) => join(dir, "tracks", folder, "data.jsonl");

type IndexedPoint = MetricPoint & { readonly index: number };

function readEntries(dir: string, stream: string): IndexedPoint[] {
  let text: string;
  try {
    text = readFileSync(trackFile(dir, stream.slice(trackStreamPrefix.length)), "utf8");
  } catch {
    return [];
  }
  const points: IndexedPoint[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let entry: unknown;
    try {
      entry = parseJson(line);
    } catch {
      continue; // a torn last line (a write in progress)
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) continue;
    const { timestamp, ...fields } = entry as Record<string, JsonValue>;
    points.push({ index: points.length, ts: typeof timestamp === "number" ? timestamp : 0, fields });
  }
  return points;
}

/** A track's entry count, fields and last time (no per-field summary). */
export function trackSummary(dir: string, stream: string): MetricStreamSummary {
  const points = readEntries(dir, stream);
  const last = points.at(-1);
  return {
    stream,
    count: points.length,
    fields: [...new Set(points.flatMap((p) => Object.keys(p.fields)))],
    ...(points[0] ? { firstTs: points[0].ts } : {}),
    ...(last ? { lastTs: last.ts } : {}),
    summary: {},
  };
}

/** A track's entries as a metric series, with the same range rules as a stream's (`selectRows`). */
export function readTrackStream(dir: string, stream: string, range: MetricRange = {}): MetricSeries {
  const points = readEntries(dir, stream);
  const by = range.by ?? "index";
  const xOf = (p: IndexedPoint) => (by === "index" ? p.index : by === "ts" ? p.ts : p.fields[by]);
  const rows = points.filter((p) => typeof xOf(p) === "number");
  const only = range.fields ? new Set(range.fields) : undefined;
  const numeric = [...new Set(rows.flatMap((p) => Object.keys(p.fields)))].filter(
    (f) => !only || only.has(f),
  );
  const ys = numeric.map((f) => rows.map((p) => (typeof p.fields[f] === "number" ? p.fields[f] : NaN)));
  const selection = selectRows(
    rows.map((p) => xOf(p) as number),
    ys,
    {
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: by === "index" ? range.to - 1 : range.to } : {}),
    },
    range.maxPoints ?? Number.MAX_SAFE_INTEGER,
    { edges: range.edges === true },
  );
  const picked =
    range.last === undefined
      ? selection.rows
      : selection.rows.slice(Math.max(0, selection.rows.length - range.last));
  const keep = only && by !== "index" && by !== "ts" ? new Set([...only, by]) : only;
  return {
    stream,
    count: points.length,
    downsampled: selection.downsampled,
    inRange: selection.total,
    points: picked.map((row) => {
      const p = rows[row]!;
      if (!keep) return p;
      return { ...p, fields: Object.fromEntries(Object.entries(p.fields).filter(([k]) => keep.has(k))) };
    }),
  };
}
