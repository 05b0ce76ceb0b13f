import { linkProps } from "../router.js";

/**
 * A run's prefix as a link that, when its cell is too narrow, cuts the shared beginning with "…" and keeps the
 * last segment (the job's name, what tells the runs of one experiment apart) whole; the full prefix is the tooltip.
 */
export function RunName(props: { prefix: string; to: string }) {
  // The tail keeps its "/" so a cut beginning reads "alice/sweep/sweep_2026…/train-lr0.1".
  const cut = Math.max(0, props.prefix.lastIndexOf("/"));
  return (
    <a {...linkProps(props.to)} className="run-name" title={props.prefix}>
      <span className="run-name-head">{props.prefix.slice(0, cut)}</span>
      <span className="run-name-tail">{props.prefix.slice(cut)}</span>
    </a>
  );
}
