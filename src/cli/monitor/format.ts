import { formatDuration } from "../../util/table.js";

/** Text cut to `width` columns (with "…" when cut) and padded with spaces to exactly `width`. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = Array.from(text);
  if (chars.length > width) return width === 1 ? "…" : `${chars.slice(0, width - 1).join("")}…`;
  return text + " ".repeat(width - chars.length);
}

/** Columns: fixed widths, and the `flex` ones sharing what is left (at least `min` each). */
export interface Column {
  readonly width?: number;
  readonly flex?: number;
  readonly min?: number;
}

/** Widths of `columns` for a line of `total` columns, with `gap` spaces between them. */
export function columnWidths(columns: readonly Column[], total: number, gap = 2): number[] {
  const fixed = columns.reduce((sum, c) => sum + (c.width ?? 0), 0) + gap * (columns.length - 1);
  const flexTotal = columns.reduce((sum, c) => sum + (c.flex ?? 0), 0);
  const left = Math.max(0, total - fixed);
  return columns.map((c) =>
    c.width !== undefined
      ? c.width
      : Math.max(c.min ?? 4, Math.floor((left * (c.flex ?? 0)) / (flexTotal || 1))),
  );
}

/** A local date and time, short: `2026-11-23 14:03:05`. */
export function shortDate(iso: string | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "-";
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

/** From `start` to `end`, or to now while it has not ended (`running`); "-" without a start. */
export function elapsed(
  start: string | undefined,
  end: string | undefined,
  running: boolean,
  now: number,
): string {
  if (!start) return "-";
  const to = end ? Date.parse(end) : running ? now : undefined;
  return to === undefined ? "-" : formatDuration(Math.max(0, to - Date.parse(start)));
}

const countOrder = ["RUNNING", "SUBMITTED", "WAITING", "PENDING", "FAILED", "CANCELLED"] as const;

/** `3/5 done, 1 running, 1 failed`: the completed jobs of all, then the other states that have jobs. */
export function jobCounts(counts: Readonly<Record<string, number>> & { readonly total: number }): string {
  const others = countOrder
    .filter((state) => (counts[state] ?? 0) > 0)
    .map((state) => `${counts[state]} ${state.toLowerCase()}`);
  return [`${counts.COMPLETED ?? 0}/${counts.total} done`, ...others].join(", ");
}

/** The latest metrics of a job, short: `train.loss=0.0123 eval.acc=0.91`. */
export function metricsText(metrics: Readonly<Record<string, number>> | undefined): string {
  return Object.entries(metrics ?? {})
    .map(([key, value]) => `${key}=${Number.isFinite(value) ? Number(value.toPrecision(4)) : value}`)
    .join(" ");
}

// CSI and OSC sequences, and the other control characters a terminal would act on.
const escapes = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;
const controls = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * A line of a job's output made safe to draw: colour and cursor codes removed, a carriage return keeps what
 * a terminal would show (the text after the last one: progress bars), tabs expanded.
 */
export function printable(line: string): string {
  let text = line.replace(escapes, "");
  const cr = text.replace(/\r+$/, "").lastIndexOf("\r");
  if (cr >= 0) text = text.slice(cr + 1);
  let out = "";
  for (const ch of text.replace(controls, "")) {
    out += ch === "\t" ? " ".repeat(8 - (Array.from(out).length % 8)) : ch;
  }
  return out;
}
