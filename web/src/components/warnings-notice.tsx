import type { WarningDto } from "../api.js";

/** The files a listing or a view skipped because they cannot be read: one line each, folded past three. */
export function WarningsNotice({ warnings }: { warnings: readonly WarningDto[] | undefined }) {
  if (!warnings || warnings.length === 0) return null;
  return (
    <details className="warning-box" data-testid="warnings" open={warnings.length <= 3}>
      <summary>
        {warnings.length} file{warnings.length === 1 ? "" : "s"} could not be read and{" "}
        {warnings.length === 1 ? "was" : "were"} skipped
      </summary>
      <ul>
        {warnings.map((w) => (
          <li key={`${w.file}\u0000${w.problem}`}>
            <code>{w.file}</code>: {w.problem}
          </li>
        ))}
      </ul>
    </details>
  );
}
