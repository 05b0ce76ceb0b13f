import { useMemo } from "react";
import { getJson, type ExperimentRow, type WarningDto } from "../api.js";
import { WarningsNotice } from "../components/warnings-notice.js";
import { StateBadge, StateBar } from "../components/state-badge.js";
import { useData } from "../components/use-data.js";
import { VirtualTable, type Column } from "../components/virtual-table.js";
import { span, when } from "../format.js";
import { linkProps, navigate, useQueryParam } from "../router.js";

const states = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

const columns: Column<ExperimentRow>[] = [
  {
    key: "title",
    label: "Title",
    width: "220px",
    render: (e) => <a {...linkProps(`/experiments/${encodeURIComponent(e.id)}`)}>{e.title}</a>,
  },
  { key: "id", label: "Id", width: "230px", render: (e) => <span className="mono">{e.id}</span> },
  { key: "state", label: "State", width: "110px", render: (e) => <StateBadge state={e.state} /> },
  {
    key: "jobs",
    label: "Jobs done / total",
    width: "190px",
    render: (e) => (
      <span style={{ display: "flex", gap: 8, alignItems: "center" }}>
        <StateBar counts={e.jobs} />
        {e.jobs.COMPLETED ?? 0}/{e.jobs.total}
        {e.jobs.FAILED ? <span style={{ color: "var(--failed)" }}> · {e.jobs.FAILED} failed</span> : null}
      </span>
    ),
  },
  { key: "host", label: "Host", width: "120px", render: (e) => e.host },
  { key: "user", label: "User", width: "100px", render: (e) => e.user },
  {
    key: "git",
    label: "Git",
    width: "100px",
    render: (e) =>
      e.git ? (
        <span className="mono" title={e.git.branch}>
          {e.git.commit.slice(0, 8)}
          {e.git.dirty ? (
            <span title="uncommitted changes" style={{ color: "var(--cancelled)" }}>
              *
            </span>
          ) : (
            ""
          )}
        </span>
      ) : (
        "-"
      ),
  },
  { key: "started", label: "Started", width: "140px", render: (e) => when(e.createdAt) },
  { key: "duration", label: "Duration", width: "90px", render: (e) => span(e.createdAt, e.finishedAt) },
];

/** Every experiment of the source, newest first, filtered by title, host, state and date. */
export function ExperimentsPage() {
  const { data, error } = useData(
    () => getJson<{ experiments: ExperimentRow[]; warnings: WarningDto[] }>("/experiments"),
    [],
    5000,
  );
  const [q, setQ] = useQueryParam("q");
  const [host, setHost] = useQueryParam("host");
  const [state, setState] = useQueryParam("state");
  const [since, setSince] = useQueryParam("since");
  const [until, setUntil] = useQueryParam("until");
  const all = data?.experiments;
  const hosts = useMemo(() => [...new Set((all ?? []).map((e) => e.host))].sort(), [all]);
  const rows = useMemo(() => {
    const needle = q.toLowerCase();
    const from = since ? Date.parse(since) : -Infinity;
    const to = until ? Date.parse(until) + 86_400_000 : Infinity;
    return (all ?? [])
      .filter(
        (e) =>
          (!needle || e.title.toLowerCase().includes(needle) || e.id.toLowerCase().includes(needle)) &&
          (!host || e.host === host) &&
          (!state || e.state === state) &&
          (!since && !until ? true : Date.parse(e.createdAt) >= from && Date.parse(e.createdAt) < to),
      )
      .reverse();
  }, [all, q, host, state, since, until]);
  return (
    <>
      <h1>
        Experiments{" "}
        <span className="muted" data-testid="count">
          {all ? `${rows.length} of ${all.length}` : "…"}
        </span>
      </h1>
      <div className="toolbar">
        <input
          placeholder="Search title or id"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          data-testid="search"
        />
        <label>
          Host
          <select value={host} onChange={(e) => setHost(e.target.value)}>
            <option value="">all</option>
            {hosts.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)} data-testid="state-filter">
            <option value="">all</option>
            {states.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          From <input type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <label>
          To <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
      </div>
      {error && <div className="error-box">{error}</div>}
      <WarningsNotice warnings={data?.warnings} />
      {all && all.length === 0 ? (
        <p className="muted">No experiments yet. Launch one with `labrun run experiment.ts`.</p>
      ) : (
        <VirtualTable
          rows={rows}
          columns={columns}
          rowKey={(e) => e.id}
          onRowClick={(e) => navigate(`/experiments/${encodeURIComponent(e.id)}`)}
          testId="experiments"
        />
      )}
    </>
  );
}
