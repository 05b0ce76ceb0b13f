import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef, type ReactNode } from "react";

export interface Column<T> {
  readonly key: string;
  readonly label: ReactNode;
  /** A CSS grid track in pixels ("120px"): every row is its own grid, so fractions would not line up. */
  readonly width: string;
  readonly render: (row: T) => ReactNode;
  readonly sortable?: boolean;
}

/** A table that renders only the rows in view, so 10,000 rows scroll as smoothly as 10. */
export function VirtualTable<T>(props: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  onRowClick?: (row: T) => void;
  selected?: (row: T) => boolean;
  sort?: { key: string; desc: boolean };
  onSort?: (key: string) => void;
  height?: string;
  testId?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const rowHeight = 34;
  const virtualizer = useVirtualizer({
    count: props.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const template = props.columns.map((c) => c.width).join(" ");
  return (
    <div
      className="vtable"
      ref={scroller}
      style={{ height: props.height ?? "calc(100vh - 190px)" }}
      data-testid={props.testId}
    >
      <div className="vrow head" style={{ gridTemplateColumns: template }}>
        {props.columns.map((column) => (
          <div
            key={column.key}
            className={column.sortable ? "sortable" : ""}
            onClick={() => column.sortable && props.onSort?.(column.key)}
          >
            {column.label}
            {props.sort?.key === column.key ? (props.sort.desc ? " ▼" : " ▲") : ""}
          </div>
        ))}
      </div>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: "max-content" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = props.rows[item.index]!;
          return (
            <div
              key={props.rowKey(row)}
              className={`vrow body${props.selected?.(row) ? " selected" : ""}`}
              data-row={props.rowKey(row)}
              style={{
                gridTemplateColumns: template,
                height: rowHeight,
                transform: `translateY(${item.start}px)`,
              }}
              onClick={() => props.onRowClick?.(row)}
            >
              {props.columns.map((column) => (
                <div key={column.key} data-col={column.key}>
                  {column.render(row)}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
