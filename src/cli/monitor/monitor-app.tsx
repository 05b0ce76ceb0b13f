import { Box, Text, useApp, useInput } from "ink";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { isLabrunError } from "../../errors.js";
import type { JobStatus } from "../../experiment/status-report.js";
import { isFinalJobState } from "../../workspace/index/index.js";
import type { Workspace } from "../../workspace/workspace.js";
import { ExperimentsView, experimentText } from "./experiments-view.js";
import { HelpView } from "./help-view.js";
import { JobsView, jobText } from "./jobs-view.js";
import { footerHints } from "./keys.js";
import { LogView } from "./log-view.js";
import { cancelJobs, openExperiment, readJobs, stateOfJobs } from "./monitor-data.js";
import type { OpenedExperiment } from "./monitor-data.js";
import { RowsReader } from "./rows-reader.js";
import {
  applyFilter,
  currentScreen,
  handleKey,
  initialState,
  screenKey,
  selectedIndex,
  splitTyped,
} from "./monitor-state.js";
import type { Effect, Item, MonitorState, View } from "./monitor-state.js";
import { StatusLine, SubHeader } from "./monitor-lines.js";
import type { Notice } from "./monitor-lines.js";
import { tablePageSize } from "./table-view.js";
import { ColorContext } from "./theme.js";
import { useLogTail } from "./use-log-tail.js";
import { usePoll } from "./use-poll.js";
import { useScreenSize } from "./use-screen-size.js";

export interface MonitorAppProps {
  readonly workspace: Workspace;
  /** The experiment to start on (opened already, so that a wrong id fails before the screen is drawn). */
  readonly initial?: OpenedExperiment;
  readonly color: boolean;
  /** How often the jobs of the experiment on screen are read again. */
  readonly intervalMs?: number;
}

/** `labrun monitor`: experiments → an experiment's jobs → a job's output, refreshed live. */
export function MonitorApp({ workspace, initial, color, intervalMs = 500 }: MonitorAppProps) {
  const { exit } = useApp();
  const size = useScreenSize();
  const [state, setState] = useState<MonitorState>(() => initialState(initial?.header.id));
  const stateRef = useRef(state);
  const [notice, setNotice] = useState<Notice | undefined>();
  const [warning, setWarning] = useState<string | undefined>();
  const [refresh, setRefresh] = useState(0);
  const pending = useRef(0);
  const quitting = useRef(false);
  const screen = currentScreen(state);
  const experimentId = screen.kind === "experiments" ? undefined : screen.experiment;

  const reader = useMemo(() => new RowsReader(workspace), [workspace]);
  useEffect(() => () => reader.close(), [reader]);
  const loadRows = useCallback(async () => {
    const { rows, warnings } = await reader.read();
    setWarning(summarize(warnings));
    return rows;
  }, [reader]);
  const rows = usePoll(loadRows, 2 * intervalMs, { refresh, active: screen.kind === "experiments" });
  const session = useOpened(workspace, experimentId, initial);
  const loadJobs = useMemo(
    () => (session.opened ? () => readJobs(session.opened!) : undefined),
    [session.opened],
  );
  const jobs = usePoll(loadJobs, intervalMs, { refresh });
  const tail = useLogTail(session.opened?.experiment, screen.kind === "log" ? screen.job : undefined);

  // The frame leaves the terminal's last line free: a frame as tall as the screen makes ink redraw it all.
  const height = Math.max(6, size.rows - 1);
  const bodyHeight = height - 4;
  const filter = state.filters[screenKey(screen)] ?? "";
  const experimentRows = useMemo(
    () => applyFilter(rows.value ?? [], filter, experimentText),
    [rows.value, filter],
  );
  const jobRows = applyFilter(jobs.value ?? [], filter, jobText);
  const job = screen.kind === "log" ? jobs.value?.find((j) => j.name === screen.job) : undefined;
  const experimentActive = jobs.value ? stateOfJobs(jobs.value) === "RUNNING" : true;
  const items: Item[] =
    screen.kind === "experiments"
      ? experimentRows.map((row) => ({
          key: row.id,
          active: row.state === "RUNNING" || row.state === "PENDING",
        }))
      : jobRows.map((j) => ({ key: j.name, active: !isFinalJobState(j.state) }));
  const view: View = {
    items,
    pageSize: screen.kind === "log" ? bodyHeight : tablePageSize(bodyHeight, items.length),
    lines: tail.lines.length,
    jobActive: job ? !isFinalJobState(job.state) : true,
    experimentActive,
  };

  const run = (effect: Effect) => {
    if (effect.kind === "quit") {
      if (pending.current === 0) return exit();
      quitting.current = true;
      setNotice({ text: "Waiting for the cancellation to finish, then quitting…" });
      return;
    }
    const what =
      effect.kind === "cancel-job" ? `job ${effect.job}` : `every unfinished job of ${effect.experiment}`;
    pending.current++;
    setNotice({ text: `Cancelling ${what}…` });
    cancelJobs(workspace, effect.experiment, effect.kind === "cancel-job" ? effect.job : undefined)
      .then(
        () => setNotice({ text: `Cancelled ${what}.` }),
        (error: unknown) => setNotice({ text: errorText(error), error: true }),
      )
      .finally(() => {
        pending.current--;
        setRefresh((n) => n + 1);
        if (quitting.current && pending.current === 0) exit();
      });
  };

  useInput((input, key) => {
    for (const [one, keys] of splitTyped(input, key)) {
      const result = handleKey(stateRef.current, one, keys, view);
      stateRef.current = result.state;
      setState(result.state);
      if (!quitting.current) setNotice(result.notice !== undefined ? { text: result.notice } : undefined);
      if (result.effect) run(result.effect);
    }
  });

  const now = Date.now();
  const selected = selectedIndex(state, items);
  const loadError = screen.kind === "experiments" ? rows.error : (session.error ?? jobs.error);
  let body;
  if (state.help) body = <HelpView height={bodyHeight} />;
  else if (screen.kind !== "experiments" && session.error !== undefined)
    body = <Text color={color ? "red" : undefined}>{errorText(session.error)}</Text>;
  else if (screen.kind === "experiments" && rows.value === undefined)
    body = (
      <Text dimColor>{rows.error !== undefined ? errorText(rows.error) : "Reading the workspace…"}</Text>
    );
  else if (screen.kind !== "experiments" && jobs.value === undefined)
    body = (
      <Text dimColor>{jobs.error !== undefined ? errorText(jobs.error) : "Opening the experiment…"}</Text>
    );
  else if (screen.kind === "experiments")
    body = (
      <ExperimentsView
        rows={experimentRows}
        selected={selected}
        width={size.columns}
        height={bodyHeight}
        now={now}
        filtered={filter !== ""}
      />
    );
  else if (screen.kind === "jobs")
    body = (
      <JobsView
        jobs={jobRows}
        selected={selected}
        width={size.columns}
        height={bodyHeight}
        now={now}
        filtered={filter !== ""}
      />
    );
  else
    body = (
      <LogView
        tail={tail}
        width={size.columns}
        height={bodyHeight}
        scroll={Math.min(state.scroll, Math.max(0, tail.lines.length - bodyHeight))}
      />
    );

  return (
    <ColorContext.Provider value={color}>
      <Box flexDirection="column" width={size.columns} height={height}>
        <Text wrap="truncate-end">
          <Text bold {...(color ? { color: "blue" } : {})}>
            labrun monitor
          </Text>
          <Text dimColor>{`  ${workspace.root}`}</Text>
        </Text>
        <SubHeader
          screen={screen}
          experimentCount={rows.value?.length}
          opened={session.opened}
          jobs={jobs.value}
          job={job as JobStatus | undefined}
          scroll={state.scroll}
          now={now}
          width={size.columns}
        />
        <Box height={bodyHeight} flexDirection="column" overflow="hidden">
          {body}
        </Box>
        <StatusLine
          state={state}
          filter={filter}
          notice={notice}
          warning={screen.kind === "experiments" ? warning : summarize(session.opened?.warnings ?? [])}
          error={
            loadError === undefined || (rows.value === undefined && jobs.value === undefined)
              ? undefined
              : errorText(loadError)
          }
        />
        <Text dimColor wrap="truncate-end">
          {footerHints(screen.kind)}
        </Text>
      </Box>
    </ColorContext.Provider>
  );
}

/** The experiment of the current screen, opened once per id (the first screen's one is given). */
function useOpened(
  workspace: Workspace,
  id: string | undefined,
  initial: OpenedExperiment | undefined,
): { readonly opened?: OpenedExperiment; readonly error?: unknown } {
  const [session, setSession] = useState<{ id?: string; opened?: OpenedExperiment; error?: unknown }>(
    initial ? { id: initial.header.id, opened: initial } : {},
  );
  useEffect(() => {
    if (id === undefined || session.id === id) return;
    let stale = false;
    setSession({ id });
    openExperiment(workspace, id).then(
      (opened) => !stale && setSession({ id, opened }),
      (error: unknown) => !stale && setSession({ id, error }),
    );
    return () => {
      stale = true;
    };
  }, [workspace, id]);
  return session.id === id ? session : {};
}

/** One line for the status bar: the damaged file, or how many and the last. */
function summarize(warnings: readonly string[]): string | undefined {
  if (warnings.length <= 1) return warnings[0];
  return `${warnings.length} damaged files skipped; the last: ${warnings.at(-1)}`;
}

function errorText(error: unknown): string {
  if (isLabrunError(error)) return `[${error.code}] ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
