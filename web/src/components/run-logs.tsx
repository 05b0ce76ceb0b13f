import { useState } from "react";
import { getJson, enc, type RunLogRecord } from "../api.js";
import { useQueryParam } from "../router.js";
import { useData } from "./use-data.js";

const levels = ["debug", "info", "warn", "error", "fatal"];

/** A run's log records, from a minimum level and matching a regular expression; refreshed while it runs. */
export function RunLogs({ runId, live }: { runId: string; live: boolean }) {
  const [level, setLevel] = useQueryParam("lvl");
  const [regex, setRegex] = useQueryParam("lre");
  const [draft, setDraft] = useState(regex);
  const { data, error } = useData(
    () =>
      getJson<{ logs: RunLogRecord[] }>(
        `/runs/${enc(runId)}/logs?tail=5000${level ? `&level=${level}` : ""}${regex ? `&regex=${enc(regex)}` : ""}`,
      ),
    [runId, level, regex],
    live ? 2000 : undefined,
  );
  return (
    <div data-testid="run-logs">
      <div className="toolbar">
        <label>
          Level
          <select value={level} onChange={(e) => setLevel(e.target.value)} data-testid="log-level">
            <option value="">all</option>
            {levels.map((l) => (
              <option key={l} value={l}>
                {l} and above
              </option>
            ))}
          </select>
        </label>
        <form onSubmit={(e) => (e.preventDefault(), setRegex(draft))}>
          <input
            placeholder="filter (regular expression)"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            className="mono"
          />
        </form>
        <span className="muted">{data?.logs.length ?? 0} records</span>
      </div>
      {error && <div className="error-box">{error}</div>}
      <div className="log">
        {(data?.logs ?? []).map((r, i) => (
          <div key={i} className={`lvl-${r.level}`} data-level={r.level}>
            {r.timestamp.slice(0, 19).replace("T", " ")} {r.level.toUpperCase().padEnd(5)} {r.message}
            {r.metadata && (
              <span className="muted" data-testid="log-metadata">
                {" "}
                {metadataText(r.metadata)}
              </span>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}

/** A record's metadata as `key=value` pairs (values as JSON; NaN and infinities as words). */
function metadataText(metadata: Readonly<Record<string, unknown>>): string {
  return Object.entries(metadata)
    .map(
      ([key, value]) =>
        `${key}=${typeof value === "string" ? value : (JSON.stringify(value) ?? String(value))}`,
    )
    .join(" ");
}
