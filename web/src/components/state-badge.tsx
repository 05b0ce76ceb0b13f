export function StateBadge({ state, title }: { state: string; title?: string }) {
  return (
    <span className={`badge state-${state}`} title={title} data-state={state}>
      {state}
    </span>
  );
}

export const stateColors: Record<string, string> = {
  PENDING: "var(--pending)",
  WAITING: "var(--waiting)",
  SUBMITTED: "var(--submitted)",
  RUNNING: "var(--running)",
  COMPLETED: "var(--completed)",
  FAILED: "var(--failed)",
  CANCELLED: "var(--cancelled)",
};

/** Jobs by state as one stacked bar. */
export function StateBar({ counts }: { counts: Record<string, number> & { total: number } }) {
  return (
    <span
      className="bar"
      title={Object.entries(counts)
        .filter(([k, v]) => k !== "total" && v > 0)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ")}
    >
      {Object.entries(stateColors).map(([state, color]) =>
        counts[state] ? (
          <span
            key={state}
            style={{ width: `${(100 * counts[state]!) / Math.max(1, counts.total)}%`, background: color }}
          />
        ) : null,
      )}
    </span>
  );
}
