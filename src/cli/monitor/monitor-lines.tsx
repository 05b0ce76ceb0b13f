import { Text } from "ink";
import type { JobStatus } from "../../experiment/status-report.js";
import { isFinalJobState } from "../../workspace/index/index.js";
import { elapsed, jobCounts, shortDate } from "./format.js";
import type { OpenedExperiment } from "./monitor-data.js";
import { stateOfJobs } from "./monitor-data.js";
import type { MonitorState, Screen } from "./monitor-state.js";
import { countJobs } from "../../workspace/index/index.js";
import { stateColor, tint, useColorEnabled } from "./theme.js";

export interface SubHeaderProps {
  readonly screen: Screen;
  readonly experimentCount: number | undefined;
  readonly opened: OpenedExperiment | undefined;
  readonly jobs: readonly JobStatus[] | undefined;
  readonly job: JobStatus | undefined;
  readonly scroll: number;
  readonly now: number;
  readonly width: number;
}

/** The line under the title: where the screen is, and the state of what it shows. */
export function SubHeader({ screen, experimentCount, opened, jobs, job, scroll, now }: SubHeaderProps) {
  const color = useColorEnabled();
  if (screen.kind === "experiments")
    return (
      <Text bold wrap="truncate-end">
        {experimentCount === undefined ? "Experiments" : `Experiments (${experimentCount})`}
      </Text>
    );
  const header = opened?.header;
  const state = jobs ? stateOfJobs(jobs) : undefined;
  if (screen.kind === "jobs") {
    const counts = jobs ? jobCounts(countJobs(jobs.map((j) => j.state))) : "";
    return (
      <Text wrap="truncate-end">
        <Text bold>{screen.experiment}</Text>
        {state ? (
          <Text>
            {"  "}
            <Text bold {...(stateColor(state, color) ? { color: stateColor(state, color)! } : {})}>
              {state}
            </Text>
          </Text>
        ) : null}
        <Text dimColor>
          {[
            counts,
            header ? `${header.user}@${header.host}` : "",
            header ? `started ${shortDate(header.createdAt)}` : "",
            header && jobs
              ? elapsed(header.createdAt, header.finishedAt ?? lastEnd(jobs), state === "RUNNING", now)
              : "",
          ]
            .filter((part) => part !== "")
            .map((part) => `  ${part}`)
            .join("")}
        </Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end">
      <Text bold>{screen.job}</Text>
      {job ? (
        <Text>
          {"  "}
          <Text bold {...(stateColor(job.state, color) ? { color: stateColor(job.state, color)! } : {})}>
            {job.state}
          </Text>
          <Text dimColor>
            {`  ${elapsed(job.startedAt, job.endedAt, !isFinalJobState(job.state), now)}`}
            {job.reason ? `  (${job.reason})` : ""}
          </Text>
        </Text>
      ) : null}
      <Text dimColor>
        {`  output of ${screen.experiment}`}
        {scroll > 0 ? `  — ${scroll} line(s) back, End follows` : ""}
      </Text>
    </Text>
  );
}

/** When the last job ended, once all have (the experiment's duration ends there). */
function lastEnd(jobs: readonly JobStatus[]): string | undefined {
  if (!jobs.every((job) => isFinalJobState(job.state))) return undefined;
  return (
    jobs
      .map((job) => job.endedAt ?? "")
      .sort()
      .at(-1) || undefined
  );
}

/** What the status line says, and whether it is a failure. */
export interface Notice {
  readonly text: string;
  readonly error?: boolean;
}

export interface StatusLineProps {
  readonly state: MonitorState;
  readonly filter: string;
  readonly notice: Notice | undefined;
  readonly warning: string | undefined;
  readonly error: string | undefined;
}

/** The line above the key hints: a y/n question, the filter being typed, or the latest notice. */
export function StatusLine({ state, filter, notice, warning, error }: StatusLineProps) {
  const color = useColorEnabled();
  if (state.confirm)
    return (
      <Text bold inverse wrap="truncate-end" {...(color ? { color: "yellow" } : {})}>
        {state.confirm.question}
      </Text>
    );
  if (state.editingFilter)
    return (
      <Text wrap="truncate-end">
        <Text bold>/</Text>
        {filter}
        <Text inverse> </Text>
        <Text dimColor>{"  Enter keeps the filter, Esc clears it"}</Text>
      </Text>
    );
  if (notice)
    return (
      <Text
        wrap="truncate-end"
        bold={notice.error === true}
        {...(notice.error ? { color: tint("red", color) } : {})}
      >
        {notice.text}
      </Text>
    );
  if (error)
    return (
      <Text wrap="truncate-end" {...(color ? { color: "red" } : {})}>
        {error}
      </Text>
    );
  if (warning)
    return (
      <Text wrap="truncate-end" {...(color ? { color: "yellow" } : {})}>
        {warning}
      </Text>
    );
  if (filter)
    return (
      <Text wrap="truncate-end" dimColor>
        {`filter: ${filter}  (/ edits it, Esc clears it)`}
      </Text>
    );
  return <Text> </Text>;
}
