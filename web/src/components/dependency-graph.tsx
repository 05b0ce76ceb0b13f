import { useMemo } from "react";
import type { JobRow } from "../api.js";
import { stateColors } from "./state-badge.js";

const nodeW = 150;
const nodeH = 30;
const gapX = 60;
const gapY = 14;

/**
 * The jobs as a layered graph: a job's column is the length of the longest dependency chain before it, and
 * within a column jobs are ordered by the mean row of their dependencies (one barycentre pass), which keeps
 * most edges short and uncrossed for the fan-out / fan-in shapes experiments have.
 */
export function layoutGraph(jobs: readonly JobRow[]) {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const layer = new Map<string, number>();
  const depth = (name: string, seen: Set<string>): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const deps = byName.get(name)?.dependencies.filter((d) => byName.has(d)) ?? [];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth(d, seen)));
    layer.set(name, value);
    return value;
  };
  for (const job of jobs) depth(job.name, new Set());
  const columns: JobRow[][] = [];
  for (const job of jobs) (columns[layer.get(job.name)!] ??= []).push(job);
  const row = new Map<string, number>();
  columns.forEach((column, c) => {
    if (c > 0)
      column.sort((a, b) => {
        const mean = (job: JobRow) => {
          const rows = job.dependencies.map((d) => row.get(d) ?? 0);
          return rows.length ? rows.reduce((x, y) => x + y, 0) / rows.length : 0;
        };
        return mean(a) - mean(b) || a.index - b.index;
      });
    column.forEach((job, r) => row.set(job.name, r));
  });
  const tallest = Math.max(1, ...columns.map((column) => column.length));
  const height = tallest * (nodeH + gapY) + gapY;
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, c) => {
    const offset = (height - column.length * (nodeH + gapY) - gapY) / 2;
    column.forEach((job, r) =>
      position.set(job.name, { x: 10 + c * (nodeW + gapX), y: offset + gapY + r * (nodeH + gapY) }),
    );
  });
  return { position, width: 20 + columns.length * (nodeW + gapX) - gapX, height };
}

export function DependencyGraph(props: {
  jobs: readonly JobRow[];
  selected?: string;
  onSelect: (name: string) => void;
}) {
  const { position, width, height } = useMemo(() => layoutGraph(props.jobs), [props.jobs]);
  return (
    <div className="graph" data-testid="graph">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label="dependency graph"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="var(--muted)" />
          </marker>
        </defs>
        {props.jobs.flatMap((job) =>
          job.dependencies.map((dep) => {
            const from = position.get(dep);
            const to = position.get(job.name);
            if (!from || !to) return null;
            const x1 = from.x + nodeW;
            const y1 = from.y + nodeH / 2;
            const x2 = to.x - 2;
            const y2 = to.y + nodeH / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${dep}->${job.name}`}
                className="edge"
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
                markerEnd="url(#arrow)"
              />
            );
          }),
        )}
        {props.jobs.map((job) => {
          const at = position.get(job.name)!;
          return (
            <g
              key={job.name}
              className={`node${props.selected === job.name ? " selected" : ""}`}
              data-job={job.name}
              data-state={job.state}
              transform={`translate(${at.x},${at.y})`}
              onClick={() => props.onSelect(job.name)}
            >
              <title>{`${job.name}: ${job.state}${job.reason ? ` (${job.reason})` : ""}`}</title>
              <rect width={nodeW} height={nodeH} rx={6} fill={stateColors[job.state] ?? "var(--unknown)"} />
              <text x={nodeW / 2} y={nodeH / 2 + 4} textAnchor="middle">
                {job.name.length > 20 ? `${job.name.slice(0, 19)}…` : job.name}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
