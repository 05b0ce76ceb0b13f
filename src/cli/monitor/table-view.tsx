import { Box, Text } from "ink";
import type { Column } from "./format.js";
import { columnWidths, fit } from "./format.js";
import { useColorEnabled } from "./theme.js";

/** A column of a `TableView`; it is left out on terminals narrower than `hideBelow`. */
export interface TableColumn extends Column {
  readonly title: string;
  readonly hideBelow?: number;
}

/** One cell: its text and how to draw it. */
export interface Cell {
  readonly text: string;
  readonly color?: string | undefined;
  readonly dim?: boolean;
}

export interface TableViewProps {
  readonly columns: readonly TableColumn[];
  /** How many rows there are; only those on screen are asked for, with `row`. */
  readonly count: number;
  readonly row: (index: number) => readonly Cell[];
  readonly selected: number;
  readonly width: number;
  /** Rows available, the title line included. */
  readonly height: number;
  /** Shown instead of rows when there are none. */
  readonly empty: string;
}

/**
 * A table that fits the screen: flexible columns share the width, narrow terminals drop the optional
 * columns, and the rows are shown one page at a time around the selected one (marked `›` and inverse, which
 * reads without colours too).
 */
export function TableView({ columns, count, row, selected, width, height, empty }: TableViewProps) {
  const color = useColorEnabled();
  const shown = columns
    .map((column, i) => ({ column, i }))
    .filter(({ column }) => width >= (column.hideBelow ?? 0));
  const widths = columnWidths(
    shown.map(({ column }) => column),
    width - 2,
  );
  const pageSize = tablePageSize(height, count);
  const top = Math.floor(selected / pageSize) * pageSize;
  // Ten thousand experiments: only the page on screen is formatted.
  const visible = Array.from({ length: Math.max(0, Math.min(pageSize, count - top)) }, (_, i) =>
    row(top + i),
  );
  const line = (cells: readonly string[]) => cells.map((text, k) => fit(text, widths[k]!)).join("  ");
  return (
    <Box flexDirection="column" height={height}>
      <Text bold wrap="truncate-end">
        {"  " + line(shown.map(({ column }) => column.title))}
      </Text>
      {visible.length === 0 ? (
        <Text dimColor>{`  ${empty}`}</Text>
      ) : (
        visible.map((cells, r) => {
          const isSelected = top + r === selected;
          return (
            <Text key={top + r} inverse={isSelected} bold={isSelected} wrap="truncate-end">
              {isSelected ? "› " : "  "}
              {shown.map(({ i }, k) => {
                const cell = cells[i] ?? { text: "" };
                return (
                  <Text
                    key={k}
                    {...(color && cell.color ? { color: cell.color } : {})}
                    dimColor={cell.dim === true && !isSelected}
                  >
                    {fit(cell.text, widths[k]!) + (k < shown.length - 1 ? "  " : "")}
                  </Text>
                );
              })}
            </Text>
          );
        })
      )}
      {count > pageSize ? <Text dimColor>{`  ${top + 1}-${top + visible.length} of ${count}`}</Text> : null}
    </Box>
  );
}

/** Rows a `TableView` of `height` shows per page (one line less when it must say which page it shows). */
export function tablePageSize(height: number, count: number): number {
  return Math.max(1, count > height - 1 ? height - 2 : height - 1);
}
