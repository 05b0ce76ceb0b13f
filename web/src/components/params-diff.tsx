import { useMemo } from "react";
import type { RunDetail } from "../api.js";
import { display } from "../format.js";
import { useQueryParam } from "../router.js";

/** Parameters side by side; rows whose values differ across the runs are marked (or shown alone). */
export function ParamsDiff({ runs }: { runs: readonly RunDetail[] }) {
  const [onlyDiff, setOnlyDiff] = useQueryParam("diff");
  const rows = useMemo(() => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    return keys.map((key) => {
      const values = runs.map((r) => (key in r.params ? display(r.params[key]) : "—"));
      return { key, values, differs: new Set(values).size > 1 };
    });
  }, [runs]);
  const shown = onlyDiff === "1" ? rows.filter((r) => r.differs) : rows;
  return (
    <div>
      {runs.length > 1 && (
        <label className="toolbar">
          <input
            type="checkbox"
            checked={onlyDiff === "1"}
            onChange={(e) => setOnlyDiff(e.target.checked ? "1" : "")}
            data-testid="only-diff"
          />
          only parameters that differ ({rows.filter((r) => r.differs).length} of {rows.length})
        </label>
      )}
      <table className="grid diff" data-testid="params">
        <thead>
          <tr>
            <th>Parameter</th>
            {runs.map((r) => (
              <th key={r.id}>{runs.length > 1 ? r.prefix : "Value"}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={row.key} data-differs={row.differs ? "1" : "0"}>
              <td className="mono">{row.key}</td>
              {row.values.map((v, i) => (
                <td key={i} className={`mono${row.differs ? " changed" : ""}`}>
                  {v}
                </td>
              ))}
            </tr>
          ))}
          {shown.length === 0 && (
            <tr>
              <td colSpan={runs.length + 1} className="muted">
                No parameters.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
