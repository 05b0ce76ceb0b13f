import { useEffect, useMemo, useState } from "react";
import { getJson, postJson, type RunDetail, type RunRow, type WarningDto } from "../api.js";
import { WarningsNotice } from "../components/warnings-notice.js";
import { PrefixTree } from "../components/prefix-tree.js";
import { RunName } from "../components/run-name.js";
import { StateBadge } from "../components/state-badge.js";
import { useData } from "../components/use-data.js";
import { VirtualTable, type Column } from "../components/virtual-table.js";
import { display, num, when } from "../format.js";
import { navigate, useQueryParam } from "../router.js";
import { ColumnPicker } from "../components/column-picker.js";

const list = (value: string) => value.split(",").filter(Boolean);

/** `key=value`, `key>value`, `key<value` or `key!=value` against a run's flat parameters. */
function paramMatcher(filter: string): (row: RunRow) => boolean {
  const match = /^\s*([^=<>!]+?)\s*(!=|=|<|>)\s*(.*?)\s*$/.exec(filter);
  if (!match) return () => true;
  const [, key, op, value] = match as unknown as [string, string, string, string];
  return (row) => {
    const actual = row.params[key];
    if (op === "<" || op === ">") {
      const a = Number(actual);
      const b = Number(value);
      return Number.isFinite(a) && (op === "<" ? a < b : a > b);
    }
    const equal = display(actual) === value;
    return op === "=" ? equal : !equal;
  };
}

function compare(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Runs as a prefix tree and a table: filters, chosen parameter and metric columns, sorting, selection. */
export function RunsPage() {
  const { data, error } = useData(
    () => getJson<{ runs: RunRow[]; warnings: WarningDto[] }>("/runs"),
    [],
    5000,
  );
  const [prefix, setPrefix] = useQueryParam("p");
  const [q, setQ] = useQueryParam("q");
  const [tag, setTag] = useQueryParam("tag");
  const [status, setStatus] = useQueryParam("status");
  const [param, setParam] = useQueryParam("param");
  const [pcols, setPcols] = useQueryParam("pc");
  const [mcols, setMcols] = useQueryParam("mc");
  const [sort, setSort] = useQueryParam("sort", "created");
  const [desc, setDesc] = useQueryParam("desc", "1");
  const [sel, setSel] = useQueryParam("sel");
  const all = data?.runs;
  const selected = useMemo(() => new Set(list(sel)), [sel]);
  const paramKeys = useMemo(() => {
    const keys = new Set<string>();
    for (const run of (all ?? []).slice(0, 500)) for (const key of Object.keys(run.params)) keys.add(key);
    return [...keys].sort();
  }, [all]);
  const tags = useMemo(() => [...new Set((all ?? []).flatMap((r) => r.tags))].sort(), [all]);

  const filtered = useMemo(() => {
    const needle = q.toLowerCase();
    const byParam = paramMatcher(param);
    return (all ?? []).filter(
      (r) =>
        (!prefix || r.prefix === prefix || r.prefix.startsWith(`${prefix}/`)) &&
        (!needle || r.prefix.toLowerCase().includes(needle)) &&
        (!tag || r.tags.includes(tag)) &&
        (!status || r.status === status) &&
        (!param || byParam(r)),
    );
  }, [all, prefix, q, tag, status, param]);

  // Latest metric values of the chosen columns, for the filtered runs.
  const [latest, setLatest] = useState<Record<string, Record<string, number>>>({});
  const metricKeys = list(mcols);
  const idsKey = filtered.map((r) => r.id).join("\n");
  useEffect(() => {
    if (metricKeys.length === 0 || filtered.length === 0) return;
    let live = true;
    postJson<{ latest: Record<string, Record<string, number>> }>("/runs-latest", {
      ids: filtered.map((r) => r.id),
      keys: metricKeys,
    }).then(
      (r) => live && setLatest(r.latest),
      () => undefined,
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [idsKey, mcols]);

  // Metric keys offered for columns: the fields of the first run's streams.
  const firstId = filtered[0]?.id;
  const { data: sample } = useData(
    () =>
      firstId
        ? getJson<{ run: RunDetail }>(`/runs/${encodeURIComponent(firstId)}`)
        : Promise.resolve(undefined),
    [firstId],
  );
  const metricOptions = (sample?.run.metrics ?? []).flatMap((m) =>
    Object.keys(m.latest).map((f) => `${m.name}.${f}`),
  );

  const rows = useMemo(() => {
    const value = (r: RunRow): unknown =>
      sort === "created"
        ? r.createdAt
        : sort === "prefix"
          ? r.prefix
          : sort === "status"
            ? r.status
            : sort.startsWith("p:")
              ? r.params[sort.slice(2)]
              : sort.startsWith("m:")
                ? latest[r.id]?.[sort.slice(2)]
                : undefined;
    const sorted = [...filtered].sort((a, b) => compare(value(a), value(b)));
    if (desc === "1") {
      // Missing values stay last either way.
      const present = sorted.filter((r) => value(r) !== undefined && value(r) !== null).reverse();
      return [...present, ...sorted.filter((r) => value(r) === undefined || value(r) === null)];
    }
    return sorted;
  }, [filtered, sort, desc, latest]);

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSel([...next].join(","));
  };
  const onSort = (key: string) => {
    if (sort === key) setDesc(desc === "1" ? "0" : "1");
    else {
      setSort(key);
      setDesc("0");
    }
  };
  const columns: Column<RunRow>[] = [
    {
      key: "select",
      label: "",
      width: "30px",
      render: (r) => (
        <input
          type="checkbox"
          checked={selected.has(r.id)}
          onClick={(e) => e.stopPropagation()}
          onChange={() => toggle(r.id)}
          data-testid={`select-${r.prefix}`}
        />
      ),
    },
    {
      key: "prefix",
      label: "Run",
      width: "340px",
      sortable: true,
      render: (r) => <RunName prefix={r.prefix} to={`/runs/view?ids=${encodeURIComponent(r.id)}`} />,
    },
    {
      key: "status",
      label: "Status",
      width: "110px",
      sortable: true,
      render: (r) => <StateBadge state={r.status} title={r.statusReason ?? undefined} />,
    },
    {
      key: "tags",
      label: "Tags",
      width: "110px",
      render: (r) =>
        r.tags.map((t) => (
          <span key={t} className="tag">
            {t}
          </span>
        )),
    },
    { key: "created", label: "Created", width: "140px", sortable: true, render: (r) => when(r.createdAt) },
    ...list(pcols).map((key): Column<RunRow> => ({
      key: `p:${key}`,
      label: <span title="parameter">{key}</span>,
      width: "110px",
      sortable: true,
      render: (r) => display(r.params[key]),
    })),
    ...metricKeys.map((key): Column<RunRow> => ({
      key: `m:${key}`,
      label: <span title="latest metric value">{key}</span>,
      width: "120px",
      sortable: true,
      render: (r) => <span className="mono">{num(latest[r.id]?.[key])}</span>,
    })),
  ];
  const addColumn = (value: string, current: string, set: (v: string) => void) => {
    const key = value.trim();
    if (key && !list(current).includes(key)) set([...list(current), key].join(","));
  };
  return (
    <>
      <h1>
        Runs{" "}
        <span className="muted" data-testid="count">
          {all ? `${rows.length} of ${all.length}` : "…"}
        </span>
      </h1>
      {error && <div className="error-box">{error}</div>}
      <WarningsNotice warnings={data?.warnings} />
      <div className="layout-runs">
        <PrefixTree
          prefixes={(all ?? []).map((r) => r.prefix)}
          active={prefix}
          onPick={(p) => setPrefix(p, true)}
        />
        <div>
          <div className="toolbar">
            <input
              placeholder="Search prefix"
              value={q}
              onChange={(e) => setQ(e.target.value)}
              data-testid="search"
            />
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="status-filter">
              <option value="">any status</option>
              {["RUNNING", "COMPLETED", "FAILED", "CANCELLED", "UNKNOWN"].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <select value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">any tag</option>
              {tags.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
            <input
              placeholder="param filter, e.g. lr=0.1 or lr>0.01"
              value={param}
              onChange={(e) => setParam(e.target.value)}
              data-testid="param-filter"
              style={{ width: 230 }}
            />
            <button
              className="primary"
              disabled={selected.size === 0}
              data-testid="compare"
              onClick={() => navigate(`/runs/view?ids=${[...selected].map(encodeURIComponent).join(",")}`)}
            >
              {selected.size > 1 ? `Compare ${selected.size} runs` : "Open"}
            </button>
            {selected.size > 0 && <button onClick={() => setSel("")}>Clear selection</button>}
          </div>
          <div className="toolbar">
            <ColumnPicker
              id="param-keys"
              placeholder="+ param column"
              options={paramKeys}
              onAdd={(key) => addColumn(key, pcols, setPcols)}
              testId="add-param"
            />
            <ColumnPicker
              id="metric-keys"
              placeholder="+ metric column (stream.field)"
              options={metricOptions.slice(0, 500)}
              onAdd={(key) => addColumn(key, mcols, setMcols)}
              testId="add-metric"
            />
            {(pcols || mcols) && <button onClick={() => (setPcols(""), setMcols(""))}>Reset columns</button>}
          </div>
          <VirtualTable
            rows={rows}
            columns={columns}
            rowKey={(r) => r.id}
            onRowClick={(r) => toggle(r.id)}
            selected={(r) => selected.has(r.id)}
            sort={{ key: sort, desc: desc === "1" }}
            onSort={onSort}
            height="calc(100vh - 230px)"
            testId="runs"
          />
        </div>
      </div>
    </>
  );
}
