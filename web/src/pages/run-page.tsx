import { useEffect, useMemo, useState } from "react";
import { WarningsNotice } from "../components/warnings-notice.js";
import { enc, getJson, type RunDetail } from "../api.js";
import { MetricChart, palette, type ChartRun, type XMode } from "../components/metric-chart.js";
import { ParamsDiff } from "../components/params-diff.js";
import { RunFiles } from "../components/run-files.js";
import { RunLogs } from "../components/run-logs.js";
import { StateBadge } from "../components/state-badge.js";
import { span, when } from "../format.js";
import { useQueryParam } from "../router.js";

const pageSize = 24;

/** One run, or several compared: charts of every stream and field, parameters, logs, files. */
export function RunPage() {
  const [idsParam] = useQueryParam("ids");
  const ids = useMemo(() => idsParam.split(",").filter(Boolean), [idsParam]);
  const [tab, setTab] = useQueryParam("tab", "charts");
  const [x, setX] = useQueryParam("x", "step");
  const [sm, setSm] = useQueryParam("sm", "0");
  const [log, setLog] = useQueryParam("log");
  const [keyFilter, setKeyFilter] = useQueryParam("k");
  const [z, setZ] = useQueryParam("z");
  const [focus, setFocus] = useQueryParam("run");
  const [runs, setRuns] = useState<RunDetail[]>();
  const [error, setError] = useState<string>();
  const [version, setVersion] = useState(0);
  const [shown, setShown] = useState(pageSize);

  const live = runs?.some((r) => r.status === "RUNNING") ?? false;
  useEffect(() => {
    let alive = true;
    Promise.all(ids.map((id) => getJson<{ run: RunDetail }>(`/runs/${enc(id)}`).then((r) => r.run))).then(
      (result) => alive && (setRuns(result), setError(undefined)),
      (e: Error) => alive && setError(e.message),
    );
    return () => {
      alive = false;
    };
  }, [idsParam, version]);
  // While a run is live its charts, metrics and logs are read again every few seconds.
  useEffect(() => {
    if (!live) return;
    const timer = setTimeout(() => setVersion((v) => v + 1), 3000);
    return () => clearTimeout(timer);
  }, [live, version]);

  const chartRuns: ChartRun[] = useMemo(() => {
    // Labels without the segments every compared run shares: "train-lr0.3", not the whole prefix.
    const split = (runs ?? []).map((r) => r.prefix.split("/"));
    let common = 0;
    while (split.length > 1 && split.every((s) => s.length > common + 1 && s[common] === split[0]![common]))
      common++;
    return (runs ?? []).map((r, i) => ({
      id: r.id,
      label: split.length > 1 ? split[i]!.slice(common).join("/") : r.prefix,
      color: palette[i % palette.length]!,
    }));
  }, [runs]);
  const keys = useMemo(() => {
    const all = new Set<string>();
    for (const run of runs ?? [])
      for (const m of run.metrics)
        for (const f of Object.keys(m.latest)) if (f !== "step") all.add(`${m.name}\u0000${f}`);
    let pattern: RegExp | undefined;
    try {
      pattern = keyFilter ? new RegExp(keyFilter, "i") : undefined;
    } catch {
      pattern = undefined;
    }
    return [...all]
      .map((k) => k.split("\u0000") as [string, string])
      .filter(([s, f]) => !pattern || pattern.test(`${s}.${f}`))
      .sort((a, b) =>
        (a[0] === "system") === (b[0] === "system")
          ? `${a[0]}.${a[1]}`.localeCompare(`${b[0]}.${b[1]}`)
          : a[0] === "system"
            ? 1
            : -1,
      );
  }, [runs, keyFilter]);
  const zoom = useMemo(() => {
    const parts = z.split(",").map(Number);
    return parts.length === 2 && parts.every(Number.isFinite)
      ? ([parts[0], parts[1]] as [number, number])
      : undefined;
  }, [z]);

  if (ids.length === 0) return <p className="muted">No run selected. Pick runs on the Runs page.</p>;
  if (error) return <div className="error-box">{error}</div>;
  if (!runs) return <p className="muted">Loading…</p>;
  const focused = runs.find((r) => r.id === focus) ?? runs[0]!;
  const single = runs.length === 1 ? runs[0]! : undefined;
  return (
    <>
      {single ? (
        <>
          <h1>
            {single.prefix} <StateBadge state={single.status} title={single.statusReason ?? undefined} />
          </h1>
          <div className="toolbar muted">
            {single.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
            <span>created {when(single.createdAt)}</span>
            {single.host && <span>on {single.host}</span>}
            <span>ran {span(single.startedAt, single.endedAt)}</span>
            {single.statusReason && <span>({single.statusReason})</span>}
            {single.description && <span>{single.description}</span>}
          </div>
          <WarningsNotice warnings={single.warnings} />
        </>
      ) : (
        <>
          <h1>Compare {runs.length} runs</h1>
          <div className="toolbar" data-testid="compared">
            {chartRuns.map((r) => (
              <span key={r.id}>
                <span className="legend-dot" style={{ background: r.color }} />
                <span title={runs.find((run) => run.id === r.id)?.prefix}>{r.label}</span>
              </span>
            ))}
          </div>
        </>
      )}
      <div className="tabs">
        {["charts", "params", "logs", "files"].map((t) => (
          <button
            key={t}
            className={tab === t ? "active" : ""}
            onClick={() => setTab(t, true)}
            data-testid={`tab-${t}`}
          >
            {t[0]!.toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      {tab === "charts" && (
        <>
          <div className="toolbar">
            <label>
              X axis
              <select value={x} onChange={(e) => (setZ(""), setX(e.target.value))} data-testid="x-mode">
                <option value="step">step</option>
                <option value="wall">wall time</option>
                <option value="rel">relative time (s)</option>
              </select>
            </label>
            <label>
              Smoothing
              <input
                type="range"
                min={0}
                max={0.99}
                step={0.01}
                value={sm}
                onChange={(e) => setSm(e.target.value)}
              />
              <span className="mono">{Number(sm).toFixed(2)}</span>
            </label>
            <label>
              <input
                type="checkbox"
                checked={log === "1"}
                onChange={(e) => setLog(e.target.checked ? "1" : "")}
                data-testid="log-scale"
              />
              log scale
            </label>
            <input
              placeholder="filter metrics (regex)"
              value={keyFilter}
              onChange={(e) => setKeyFilter(e.target.value)}
              data-testid="metric-filter"
            />
            {zoom && (
              <button onClick={() => setZ("")} data-testid="reset-zoom">
                Reset zoom
              </button>
            )}
            <span className="muted">
              {keys.length} chart{keys.length === 1 ? "" : "s"} · drag to zoom, double-click to reset
            </span>
          </div>
          <div className="charts">
            {keys.slice(0, shown).map(([stream, field]) => (
              <MetricChart
                key={`${stream}.${field}`}
                runs={chartRuns}
                stream={stream}
                field={field}
                x={x as XMode}
                smoothing={Number(sm)}
                log={log === "1"}
                zoom={zoom}
                onZoom={(range) =>
                  setZ(range ? range.map((v) => Number(v.toPrecision(12))).join(",") : "", true)
                }
                version={version}
              />
            ))}
          </div>
          {keys.length > shown && (
            <p>
              <button onClick={() => setShown(shown + pageSize * 2)}>
                Show more charts ({keys.length - shown} more)
              </button>
            </p>
          )}
          {keys.length === 0 && <p className="muted">No metrics{keyFilter ? " match the filter" : ""}.</p>}
        </>
      )}
      {tab === "params" && <ParamsDiff runs={runs} />}
      {(tab === "logs" || tab === "files") && runs.length > 1 && (
        <div className="toolbar">
          <label>
            Run
            <select value={focused.id} onChange={(e) => setFocus(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.prefix}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {tab === "logs" && <RunLogs runId={focused.id} live={focused.status === "RUNNING"} />}
      {tab === "files" && <RunFiles runId={focused.id} />}
    </>
  );
}
