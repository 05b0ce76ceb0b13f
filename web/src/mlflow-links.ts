// The links the mlflow client prints ("View run at http://host/#/experiments/<e>/runs/<r>") are MLflow UI
// hash routes; labrun's dashboard routes by path, so they are mapped once, when the page opens.
import { getJson } from "./api.js";
import { navigate } from "./router.js";

/**
 * The dashboard path of an MLflow UI hash: a run (or a logged model, whose id is `m-` + its labrun run id)
 * opens its run page; an experiment is answered by `experiment` (the runs under its prefix).
 */
export function mlflowLinkTarget(hash: string): { path: string } | { experiment: string } | undefined {
  const parts = hash.replace(/^#\/?/, "").split(/[/?]/).map(decodeURIComponent);
  if (parts[0] !== "experiments" || !parts[1]) return undefined;
  if (parts[2] === "runs" && parts[3]) return { path: `/runs/view?ids=${encodeURIComponent(parts[3])}` };
  const model = parts[2] === "models" && /^m-([0-9a-f]{32})$/.exec(parts[3] ?? "");
  if (model) return { path: `/runs/view?ids=${model[1]}` };
  return { experiment: parts[1] };
}

/** Replaces an MLflow hash link with the matching dashboard page (no history entry for the hash). */
export function followMlflowLink(): void {
  const target = mlflowLinkTarget(location.hash);
  if (!target) return;
  if ("path" in target) {
    history.replaceState(null, "", target.path);
    return;
  }
  // Experiment "0" is Default; any other id is the id of the labrun run that records the experiment.
  history.replaceState(null, "", "/runs");
  if (target.experiment === "0") return navigate(`/runs?p=${encodeURIComponent("mlflow/Default")}`);
  getJson<{ run: { prefix: string } }>(`/runs/${encodeURIComponent(target.experiment)}`).then(
    ({ run }) => navigate(`/runs?p=${encodeURIComponent(run.prefix)}`),
    () => undefined,
  );
}
