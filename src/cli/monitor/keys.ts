/** The monitor's screens, from the list down to one job's output. */
export type ScreenKind = "experiments" | "jobs" | "log";

/** One key binding, as the footer and the help screen show it (declared once, here). */
export interface KeyBinding {
  readonly keys: string;
  readonly does: string;
  readonly screens: readonly ScreenKind[];
  /** Shown in the footer, not only in the help screen. */
  readonly footer?: boolean;
}

const all: readonly ScreenKind[] = ["experiments", "jobs", "log"];

export const keyBindings: readonly KeyBinding[] = [
  { keys: "↑ ↓  j k", does: "move", screens: ["experiments", "jobs"], footer: true },
  {
    keys: "PgUp PgDn  Home End",
    does: "move by page, to the first or last",
    screens: ["experiments", "jobs"],
  },
  { keys: "Enter", does: "open the experiment", screens: ["experiments"], footer: true },
  { keys: "Enter", does: "follow the job's output", screens: ["jobs"], footer: true },
  {
    keys: "/",
    does: "filter (Enter keeps it, Esc clears it)",
    screens: ["experiments", "jobs"],
    footer: true,
  },
  { keys: "↑ ↓  PgUp PgDn", does: "scroll back through the output", screens: ["log"], footer: true },
  { keys: "End  G", does: "back to the newest lines (follow)", screens: ["log"] },
  { keys: "c", does: "cancel the job (asks y/n)", screens: ["jobs", "log"], footer: true },
  { keys: "C", does: "cancel the whole experiment (asks y/n)", screens: all, footer: true },
  { keys: "Esc  Backspace", does: "back", screens: ["jobs", "log"], footer: true },
  { keys: "?", does: "this help", screens: all, footer: true },
  { keys: "q  Ctrl-C", does: "quit", screens: all, footer: true },
];

/** The short hints of the footer for a screen: `Enter open  c cancel job  q quit`. */
export function footerHints(screen: ScreenKind): string {
  const short: Record<string, string> = {
    "↑ ↓  j k": "↑↓ move",
    Enter: screen === "experiments" ? "Enter open" : "Enter log",
    "/": "/ filter",
    "↑ ↓  PgUp PgDn": "↑↓ scroll",
    c: "c cancel",
    C: "C cancel all",
    "Esc  Backspace": "Esc back",
    "?": "? help",
    "q  Ctrl-C": "q quit",
  };
  return keyBindings
    .filter((binding) => binding.footer && binding.screens.includes(screen))
    .map((binding) => short[binding.keys] ?? binding.keys)
    .join("  ");
}
