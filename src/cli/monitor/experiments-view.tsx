import { elapsed, jobCounts, shortDate } from "./format.js";
import type { ExperimentRow } from "./experiment-rows.js";
import { TableView } from "./table-view.js";
import type { Cell, TableColumn } from "./table-view.js";
import { stateColor, useColorEnabled } from "./theme.js";

// The id is what the other commands take, so it is shown whole; the title and the counts share the rest.
const columns = (idWidth: number, stateWidth: number): readonly TableColumn[] => [
  { title: "Title", flex: 1, min: 8 },
  { title: "Id", width: idWidth },
  { title: "State", width: stateWidth },
  { title: "Jobs", flex: 2, min: 12 },
  { title: "Started", width: 19, hideBelow: 100 },
  { title: "Duration", width: 8, hideBelow: 72 },
];

function stateText(row: ExperimentRow): string {
  return row.driven === false ? `${row.state} (no driver)` : row.state;
}

/** The text the filter of the experiments list matches. */
export function experimentText(row: ExperimentRow): string {
  return `${row.title} ${row.id} ${row.state} ${row.host} ${row.user}`;
}

export interface ExperimentsViewProps {
  readonly rows: readonly ExperimentRow[];
  readonly selected: number;
  readonly width: number;
  readonly height: number;
  readonly now: number;
  readonly filtered: boolean;
}

/** Every experiment of the workspace, newest first: title, id, state, jobs by state, start, duration. */
export function ExperimentsView({ rows, selected, width, height, now, filtered }: ExperimentsViewProps) {
  const color = useColorEnabled();
  const cells = (index: number): Cell[] => {
    const row = rows[index]!;
    const unfinished = row.state === "RUNNING" || row.state === "PENDING";
    return [
      { text: row.title },
      { text: row.id, dim: true },
      {
        text: stateText(row),
        color: row.driven === false ? "yellow" : stateColor(row.state, color),
      },
      { text: jobCounts(row.jobs) },
      { text: shortDate(row.createdAt) },
      { text: elapsed(row.createdAt, row.finishedAt, unfinished, now) },
    ];
  };
  let stateWidth = 5;
  let idWidth = 2;
  for (const row of rows) {
    stateWidth = Math.max(stateWidth, stateText(row).length);
    idWidth = Math.max(idWidth, row.id.length);
  }
  idWidth = Math.min(idWidth, Math.max(14, width - 55));
  return (
    <TableView
      columns={columns(idWidth, stateWidth)}
      count={rows.length}
      row={cells}
      selected={selected}
      width={width}
      height={height}
      empty={
        filtered
          ? "No experiment matches the filter (Esc clears it)."
          : "No experiments in this workspace yet. Start one with `labrun run experiment.ts`."
      }
    />
  );
}
