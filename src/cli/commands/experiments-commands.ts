import { join } from "node:path";
import { UsageError } from "../../errors.js";
import { DriverLock } from "../../experiment/driver-lock.js";
import { listExperiments, resyncExperimentIndex } from "../../experiment/experiment-index.js";
import { experimentStates } from "../../experiment/experiment-record.js";
import { paint, paintState, useColor } from "../../util/table.js";
import type { ExperimentListing } from "../../workspace/index/index.js";
import { Workspace } from "../../workspace/workspace.js";
import { printJson, printWarnings } from "../output.js";
import { RecordWarnings } from "../../util/record-warning.js";

export interface ExperimentsGlobal {
  readonly workspace?: string;
  readonly json?: boolean;
}

export interface ExperimentsListOptions {
  readonly title?: string;
  readonly host?: string;
  readonly state?: string;
}

/** `labrun experiments list`: one line per experiment, `title [host] (done/total jobs)  id  state`. */
export function experimentsListCommand(options: ExperimentsListOptions, global: ExperimentsGlobal): number {
  const state = options.state?.toUpperCase();
  if (state !== undefined && !(experimentStates as readonly string[]).includes(state))
    throw new UsageError(`--state must be one of ${experimentStates.join(", ")}, not "${options.state}".`);
  const workspace = new Workspace(global.workspace);
  const warnings = new RecordWarnings();
  const { experiments } = listExperiments(
    workspace,
    {
      ...(options.title !== undefined ? { title: options.title } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(state !== undefined ? { state } : {}),
    },
    { onWarning: warnings.add },
  );
  printWarnings(warnings.list, global.json ?? false);
  // Only an unfinished experiment can have lost its driver; asking is a file read, so only for those.
  const driven = (e: ExperimentListing) =>
    e.state === "RUNNING" ? new DriverLock(join(workspace.root, e.dir)).holder() !== undefined : undefined;
  if (global.json) {
    printJson(
      experiments.map((e) => {
        const live = driven(e);
        return { ...e, dir: join(workspace.root, e.dir), ...(live === undefined ? {} : { driven: live }) };
      }),
    );
    return 0;
  }
  if (experiments.length === 0) {
    const filtered = options.title !== undefined || options.host !== undefined || state !== undefined;
    console.log(
      filtered
        ? `No experiment matches in ${workspace.root}.`
        : `No experiments in ${workspace.root} yet. Start one with \`labrun run experiment.ts\`.`,
    );
    return 0;
  }
  const heads = experiments.map((e) => `${e.title} [${e.host}] (${e.jobs.COMPLETED}/${e.jobs.total} jobs)`);
  const headWidth = Math.max(...heads.map((head) => head.length));
  const idWidth = Math.max(...experiments.map((e) => e.id.length));
  const color = useColor();
  const lines = experiments.map((e, i) => {
    const hint =
      driven(e) === false ? paint("yellow", ` (no driver: labrun experiment resume ${e.id})`, color) : "";
    return `${heads[i]!.padEnd(headWidth)}  ${e.id.padEnd(idWidth)}  ${paintState(e.state, color)}${hint}`;
  });
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** `labrun experiments resync`: rebuilds the index from the experiment folders and says what changed. */
export function experimentsResyncCommand(global: ExperimentsGlobal): number {
  const workspace = new Workspace(global.workspace);
  const warnings = new RecordWarnings();
  const report = resyncExperimentIndex(workspace, { onWarning: warnings.add });
  if (global.json) {
    printJson({ ...report, warnings: warnings.list });
    return 0;
  }
  printWarnings(warnings.list, false);
  console.log(
    `Indexed ${report.experiments} experiment(s) with ${report.jobs} job(s) from ${workspace.root} ` +
      `(${report.added} new, ${report.removed} removed: folder gone).`,
  );
  return 0;
}
