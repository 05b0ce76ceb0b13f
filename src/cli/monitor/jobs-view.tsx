import type { JobStatus } from "../../experiment/status-report.js";
import { isFinalJobState } from "../../workspace/index/index.js";
import { elapsed, metricsText } from "./format.js";
import { TableView } from "./table-view.js";
import type { Cell, TableColumn } from "./table-view.js";
import { stateColor, useColorEnabled } from "./theme.js";

const columns: readonly TableColumn[] = [
  { title: "#", width: 3 },
  { title: "Name", flex: 2, min: 10 },
  { title: "State", width: 10 },
  { title: "Time", width: 8 },
  { title: "Reason / latest metrics", flex: 3, min: 10 },
  { title: "Job id", flex: 2, min: 10, hideBelow: 110 },
];

/** The text the filter of the jobs list matches. */
export function jobText(job: JobStatus): string {
  return `${job.name} ${job.task} ${job.state} ${job.reason ?? ""}`;
}

export interface JobsViewProps {
  readonly jobs: readonly JobStatus[];
  readonly selected: number;
  readonly width: number;
  readonly height: number;
  readonly now: number;
  readonly filtered: boolean;
}

/** The jobs of one experiment with their live states (as `labrun experiment status` shows them). */
export function JobsView({ jobs, selected, width, height, now, filtered }: JobsViewProps) {
  const color = useColorEnabled();
  const cells = (index: number): Cell[] => {
    const job = jobs[index]!;
    const attempt = job.retries > 0 && job.attempt > 0 ? ` (attempt ${job.attempt}/${job.retries + 1})` : "";
    return [
      { text: String(job.index), dim: true },
      { text: job.name },
      { text: job.state, color: stateColor(job.state, color) },
      { text: elapsed(job.startedAt, job.endedAt, !isFinalJobState(job.state), now) },
      job.reason
        ? { text: job.reason + attempt, color: job.state === "FAILED" && color ? "red" : undefined }
        : { text: metricsText(job.metrics) + attempt, dim: true },
      { text: job.jobId ?? "-", dim: true },
    ];
  };
  return (
    <TableView
      columns={columns}
      count={jobs.length}
      row={cells}
      selected={selected}
      width={width}
      height={height}
      empty={filtered ? "No job matches the filter (Esc clears it)." : "This experiment has no jobs."}
    />
  );
}
