import { TrackingValueError } from "../../errors.js";
import { encodeJson, type JsonValue } from "../../format/json-codec.js";
import type { RunPage, RunQuery, RunWithLatest, StoredRun } from "../store.js";

const sortKeys = {
  createdAt: (run: StoredRun) => run.createdAt,
  updatedAt: (run: StoredRun) => run.updatedAt,
  prefix: (run: StoredRun) => run.prefix,
  status: (run: StoredRun) => run.status,
} as const;

/** True when a run's parameter has the asked value (a string also matches the same text of a number). */
function paramMatches(value: JsonValue | undefined, asked: JsonValue): boolean {
  if (value === undefined) return false;
  const stored = encodeJson(value);
  return stored === encodeJson(asked) || (typeof asked === "string" && stored === asked);
}

/**
 * One page of `runs` (with their parameters) matching the query, as the SQL backends answer it: segment-wise
 * prefix, project, tag, status and parameter values; sorted (newest first by default) with the id breaking
 * ties; the cursor is the offset of the next page.
 */
export function searchPage(
  runs: readonly { run: StoredRun; params: () => Readonly<Record<string, JsonValue>> }[],
  query: RunQuery,
  latest: (run: StoredRun) => Readonly<Record<string, JsonValue>>,
): RunPage {
  const prefix = query.prefix;
  const matches = runs.filter(({ run, params }) => {
    if (prefix !== undefined && run.prefix !== prefix && !run.prefix.startsWith(`${prefix}/`)) return false;
    if (query.project !== undefined && run.project !== query.project) return false;
    if (query.status !== undefined && run.status !== query.status) return false;
    if (query.tag !== undefined && !run.tags.includes(query.tag)) return false;
    const asked = Object.entries(query.params ?? {});
    if (asked.length > 0) {
      const values = params();
      if (!asked.every(([key, value]) => paramMatches(values[key], value))) return false;
    }
    return true;
  });
  const sort = query.sort ?? "createdAt";
  const desc = (query.order ?? (query.sort === undefined ? "desc" : "asc")) === "desc";
  const sign = desc ? -1 : 1;
  const byId = (a: StoredRun, b: StoredRun) => (a.id < b.id ? -sign : a.id > b.id ? sign : 0);
  let ordered: StoredRun[];
  if (sort.startsWith("metric:")) {
    // As the SQL stores: runs whose latest value is a number by it, then the others, ids breaking ties.
    const metric = sort.slice("metric:".length);
    const keyed = matches.map(({ run }) => {
      const value = latest(run)[metric];
      return { run, value: typeof value === "number" && !Number.isNaN(value) ? value : undefined };
    });
    ordered = keyed
      .sort((a, b) => {
        if (a.value === undefined || b.value === undefined) {
          if (a.value !== b.value) return a.value === undefined ? 1 : -1;
        } else if (a.value !== b.value) return a.value < b.value ? -sign : sign;
        return byId(a.run, b.run);
      })
      .map(({ run }) => run);
  } else {
    const key = sortKeys[sort as keyof typeof sortKeys];
    ordered = matches
      .map(({ run }) => run)
      .sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        if (ka !== kb) return ka < kb ? -sign : sign;
        return byId(a, b);
      });
  }
  const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
  const limit = query.limit ?? 100;
  const page = ordered.slice(offset, offset + limit);
  const withLatest = query.latestMetrics !== false;
  const out: RunWithLatest[] = page.map((run) => ({
    ...run,
    latestMetrics: withLatest ? latest(run) : {},
  }));
  const next = offset + limit;
  return {
    runs: out,
    total: ordered.length,
    ...(next < ordered.length ? { nextCursor: Buffer.from(`o:${next}`).toString("base64url") } : {}),
  };
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^o:(\d{1,9})$/.exec(text);
  if (!match)
    throw new TrackingValueError(
      `Cursor ${JSON.stringify(cursor)} is not one this store returned. Start from the first page.`,
      { details: { cursor } },
    );
  return Number(match[1]);
}
