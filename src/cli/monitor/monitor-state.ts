import type { ScreenKind } from "./keys.js";

/** Where the monitor is: the experiments list, one experiment's jobs, or one job's output. */
export type Screen =
  | { readonly kind: "experiments" }
  | { readonly kind: "jobs"; readonly experiment: string }
  | { readonly kind: "log"; readonly experiment: string; readonly job: string };

/** What a key asks the app to do beyond changing what is shown. */
export type Effect =
  | { readonly kind: "quit" }
  | { readonly kind: "cancel-job"; readonly experiment: string; readonly job: string }
  | { readonly kind: "cancel-experiment"; readonly experiment: string };

export interface MonitorState {
  /** The screens opened, the current one last. */
  readonly stack: readonly Screen[];
  /** The selected item (experiment id, job name) of each list screen, by `screenKey`. */
  readonly selected: Readonly<Record<string, string>>;
  /** The filter text of each list screen, by `screenKey`. */
  readonly filters: Readonly<Record<string, string>>;
  readonly editingFilter: boolean;
  /** A question waiting for y or n, and what y does. */
  readonly confirm?: { readonly question: string; readonly effect: Effect };
  readonly help: boolean;
  /** In the log screen: how many lines above the newest the view ends (0: following). */
  readonly scroll: number;
}

/** An item of the list on screen, after filtering. */
export interface Item {
  readonly key: string;
  /** Whether it can still be cancelled (unfinished). */
  readonly active: boolean;
}

/** What the current screen shows, which the keys act on. */
export interface View {
  readonly items: readonly Item[];
  /** Rows the list (or the log) has on screen. */
  readonly pageSize: number;
  /** In the log screen: lines held, and whether the job is unfinished. */
  readonly lines?: number;
  readonly jobActive?: boolean;
  /** Whether the experiment on screen (jobs, log) has unfinished jobs. */
  readonly experimentActive?: boolean;
}

/** The keys the monitor reads (a subset of ink's). */
export interface Keys {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly tab?: boolean;
  readonly rightArrow?: boolean;
  readonly leftArrow?: boolean;
}

export interface KeyResult {
  readonly state: MonitorState;
  readonly effect?: Effect;
  /** A line to show in the footer (why nothing happened). */
  readonly notice?: string;
}

export function initialState(experiment?: string): MonitorState {
  const stack: Screen[] = [{ kind: "experiments" }];
  if (experiment !== undefined) stack.push({ kind: "jobs", experiment });
  return {
    stack,
    selected: experiment !== undefined ? { experiments: experiment } : {},
    filters: {},
    editingFilter: false,
    help: false,
    scroll: 0,
  };
}

export function currentScreen(state: MonitorState): Screen {
  return state.stack[state.stack.length - 1]!;
}

/** The key under which a list screen keeps its selection and filter. */
export function screenKey(screen: Screen): string {
  return screen.kind === "experiments" ? "experiments" : `${screen.kind}:${screen.experiment}`;
}

export function screenKind(state: MonitorState): ScreenKind {
  return currentScreen(state).kind;
}

/** Index of the selected item in `items` (the first one when the selection is gone). */
export function selectedIndex(state: MonitorState, items: readonly Item[]): number {
  const key = state.selected[screenKey(currentScreen(state))];
  const index = items.findIndex((item) => item.key === key);
  return index >= 0 ? index : 0;
}

/** What one key press does, given what is on screen. */
export function handleKey(state: MonitorState, input: string, key: Keys, view: View): KeyResult {
  const back = key.escape || key.backspace || key.delete;
  // Ctrl-C quits from anywhere (ink sees it alone; here when it came along with other keys).
  if (key.ctrl && input === "c") return { state, effect: { kind: "quit" } };
  if (state.help) {
    if (input === "q") return { state, effect: { kind: "quit" } };
    return back || input === "?" || key.return ? { state: { ...state, help: false } } : { state };
  }
  if (state.confirm) {
    if (input === "y" || input === "Y")
      return { state: { ...state, confirm: undefined }, effect: state.confirm.effect };
    if (input === "n" || input === "N" || back || input === "q")
      return { state: { ...state, confirm: undefined }, notice: "Nothing cancelled." };
    return { state };
  }
  const screen = currentScreen(state);
  if (state.editingFilter) return editFilter(state, input, key, view);
  if (input === "q") return { state, effect: { kind: "quit" } };
  if (input === "?") return { state: { ...state, help: true } };
  if (screen.kind === "log") return logKey(state, screen, input, key, view);

  const filter = state.filters[screenKey(screen)] ?? "";
  if (back) {
    if (filter) return { state: setFilter(state, "") };
    if (state.stack.length > 1) return { state: pop(state) };
    return { state, notice: "This is the first screen: q quits." };
  }
  const moved = move(state, input, key, view);
  if (moved) return { state: moved };
  if (input === "/") return { state: { ...state, editingFilter: true } };
  const index = selectedIndex(state, view.items);
  const item = view.items[index];
  if (key.return || input === "l" || key.rightArrow) {
    if (!item) return { state };
    const next: Screen =
      screen.kind === "experiments"
        ? { kind: "jobs", experiment: item.key }
        : { kind: "log", experiment: screen.experiment, job: item.key };
    return { state: { ...state, stack: [...state.stack, next], scroll: 0 } };
  }
  if (input === "c") {
    if (screen.kind === "experiments")
      return { state, notice: "Open the experiment (Enter) to cancel one job; C cancels all of it." };
    if (!item) return { state };
    return askCancelJob(state, screen.experiment, item);
  }
  if (input === "C") {
    if (screen.kind === "experiments") {
      if (!item) return { state };
      return askCancelExperiment(state, item.key, item.active);
    }
    return askCancelExperiment(state, screen.experiment, view.experimentActive ?? true);
  }
  return { state };
}

function logKey(
  state: MonitorState,
  screen: Extract<Screen, { kind: "log" }>,
  input: string,
  key: Keys,
  view: View,
): KeyResult {
  if (key.escape || key.backspace || key.delete || key.leftArrow) return { state: pop(state) };
  const page = Math.max(1, view.pageSize - 1);
  const most = Math.max(0, (view.lines ?? 0) - view.pageSize);
  const scrollBy = (n: number) => ({
    state: { ...state, scroll: Math.min(most, Math.max(0, state.scroll + n)) },
  });
  if (key.upArrow || input === "k") return scrollBy(1);
  if (key.downArrow || input === "j") return scrollBy(-1);
  if (key.pageUp) return scrollBy(page);
  if (key.pageDown || input === " ") return scrollBy(-page);
  if (key.home || input === "g") return scrollBy(most);
  if (key.end || input === "G") return { state: { ...state, scroll: 0 } };
  if (input === "c")
    return askCancelJob(state, screen.experiment, { key: screen.job, active: view.jobActive ?? true });
  if (input === "C") return askCancelExperiment(state, screen.experiment, view.experimentActive ?? true);
  return { state };
}

function askCancelJob(state: MonitorState, experiment: string, job: Item): KeyResult {
  if (!job.active) return { state, notice: `${job.key} has already ended: nothing to cancel.` };
  return {
    state: {
      ...state,
      confirm: {
        question: `Cancel job ${job.key} (and the jobs that depend on it)? y/n`,
        effect: { kind: "cancel-job", experiment, job: job.key },
      },
    },
  };
}

function askCancelExperiment(state: MonitorState, experiment: string, active: boolean): KeyResult {
  if (!active) return { state, notice: `${experiment} has ended: nothing to cancel.` };
  return {
    state: {
      ...state,
      confirm: {
        question: `Cancel every unfinished job of ${experiment}? y/n`,
        effect: { kind: "cancel-experiment", experiment },
      },
    },
  };
}

function editFilter(state: MonitorState, input: string, key: Keys, view: View): KeyResult {
  if (key.return || key.tab) return { state: { ...state, editingFilter: false } };
  if (key.escape) return { state: { ...setFilter(state, ""), editingFilter: false } };
  const filter = state.filters[screenKey(currentScreen(state))] ?? "";
  if (key.backspace || key.delete)
    return { state: setFilter(state, Array.from(filter).slice(0, -1).join("")) };
  const moved = move(state, "", key, view);
  if (moved) return { state: moved };
  if (input && !key.ctrl && !key.meta) return { state: setFilter(state, filter + input) };
  return { state };
}

/** Moves the selection for arrows, j/k, pages, Home/End; undefined for any other key. */
function move(state: MonitorState, input: string, key: Keys, view: View): MonitorState | undefined {
  const count = view.items.length;
  const index = selectedIndex(state, view.items);
  const page = Math.max(1, view.pageSize);
  let to: number;
  if (key.upArrow || input === "k") to = index - 1;
  else if (key.downArrow || input === "j") to = index + 1;
  else if (key.pageUp) to = index - page;
  else if (key.pageDown) to = index + page;
  else if (key.home || input === "g") to = 0;
  else if (key.end || input === "G") to = count - 1;
  else return undefined;
  const item = view.items[Math.min(count - 1, Math.max(0, to))];
  if (!item) return state;
  return { ...state, selected: { ...state.selected, [screenKey(currentScreen(state))]: item.key } };
}

function setFilter(state: MonitorState, filter: string): MonitorState {
  return { ...state, filters: { ...state.filters, [screenKey(currentScreen(state))]: filter } };
}

function pop(state: MonitorState): MonitorState {
  return { ...state, stack: state.stack.slice(0, -1), scroll: 0, editingFilter: false };
}

/** The items whose text contains the filter (any case). */
export function applyFilter<T>(items: readonly T[], filter: string, text: (item: T) => string): T[] {
  const needle = filter.trim().toLowerCase();
  return needle ? items.filter((item) => text(item).toLowerCase().includes(needle)) : [...items];
}

/**
 * Splits typed text that arrived in one piece (fast typing, or keys coalesced by an SSH connection) into
 * one key press per character, so that `/live⏎` filters and then opens, as if typed slowly.
 */
export function splitTyped(input: string, key: Keys): [string, Keys][] {
  const chars = Array.from(input);
  if (chars.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return chars.map((ch): [string, Keys] =>
    ch === "\u0003"
      ? ["c", { ctrl: true }]
      : ch === "\r" || ch === "\n"
        ? ["", { return: true }]
        : ch === "\u007f" || ch === "\b"
          ? ["", { backspace: true }]
          : ch === "\t"
            ? ["", { tab: true }]
            : [ch, {}],
  );
}
