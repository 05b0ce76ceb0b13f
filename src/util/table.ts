import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

/** Colours only when writing to a terminal that wants them (NO_COLOR, FORCE_COLOR respected). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR) return process.env.FORCE_COLOR !== "0";
  return stream.isTTY === true;
}

export function paint(style: Style, text: string, color = useColor()): string {
  // Our policy decided already; styleText's own check would turn colours off wherever CI is set.
  return color ? styleText(style, text, { validateStream: false }) : text;
}

/** The colour of each job and experiment state, in tables and in the monitor. */
export const stateStyles: Readonly<Record<string, "green" | "red" | "yellow" | "cyan" | "gray">> = {
  COMPLETED: "green",
  FAILED: "red",
  CANCELLED: "yellow",
  RUNNING: "cyan",
  SUBMITTED: "cyan",
  WAITING: "gray",
  PENDING: "gray",
};

export function paintState(state: string, color = useColor(), label = state): string {
  return paint(stateStyles[state] ?? "white", label, color);
}

/** Plain-text table with left-aligned columns; width is measured without colour codes. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat(widths[i]! - visible(cell))))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => paint("bold", h))), ...rows.map(line)].join("\n");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
