import { Experiment } from "../../experiment/experiment.js";
import { listExperimentDirs, summarizeExperiment } from "../../experiment/experiment-store.js";
import type { ExperimentSummary } from "../../experiment/experiment-store.js";
import type { JobStatus } from "../../experiment/status-report.js";
import { formatStatusTable } from "../../experiment/status-report.js";
import { formatServicesTable, readServicesRecord } from "../../experiment/services/services-record.js";
import { formatDuration, formatTable, paint, paintState, useColor } from "../../util/table.js";
import { Workspace } from "../../workspace/workspace.js";
import { printJson, printWarnings } from "../output.js";
import { RecordWarnings } from "../../util/record-warning.js";

export interface GlobalOptions {
  readonly workspace?: string;
  readonly json?: boolean;
}

/** Opens an experiment; with `warnings`, to look at it only, leaving out (and naming) unreadable jobs. */
function open(id: string, global: GlobalOptions, warnings?: RecordWarnings): Promise<Experiment> {
  return Experiment.fromId(id, {
    ...(global.workspace ? { baseDir: global.workspace } : {}),
    cleanMode: global.json ?? false,
    ...(warnings ? { onUnreadableJob: warnings.add } : {}),
  });
}

export function listCommand(options: { title?: string }, global: GlobalOptions): number {
  const workspace = new Workspace(global.workspace);
  const warnings = new RecordWarnings();
  const summaries = listExperimentDirs(workspace, options.title, warnings.add)
    .map((dir) => summarizeExperiment(workspace, dir, warnings.add))
    .filter((s): s is ExperimentSummary => s !== undefined);
  printWarnings(warnings.list, global.json ?? false);
  if (global.json) {
    printJson(summaries);
    return 0;
  }
  if (summaries.length === 0) {
    console.log(
      options.title
        ? `No experiment titled "${options.title}" in ${workspace.root}.`
        : `No experiments in ${workspace.root} yet. Start one with \`labrun run experiment.ts\`.`,
    );
    return 0;
  }
  const rows = summaries.map((s) => [
    s.id,
    s.title,
    paintState(s.state) +
      (s.driven === false ? paint("yellow", " (no driver: labrun experiment resume)") : ""),
    `${s.jobs.COMPLETED ?? 0}/${s.jobs.total}`,
    new Date(s.createdAt).toLocaleString(),
    s.finishedAt ? formatDuration(Date.parse(s.finishedAt) - Date.parse(s.createdAt)) : "-",
  ]);
  console.log(formatTable(["Id", "Title", "State", "Done", "Started", "Duration"], rows));
  return 0;
}

export async function statusCommand(id: string, global: GlobalOptions): Promise<number> {
  const warnings = new RecordWarnings();
  const exp = await open(id, global, warnings);
  const jobs = Object.values(
    (await exp.status({ returnDict: true, onWarning: warnings.add })) as Record<string, JobStatus>,
  );
  const services = exp.dir ? readServicesRecord(exp.dir, warnings.add) : [];
  if (global.json)
    printJson({ id: exp.id, title: exp.title, dir: exp.dir, jobs, services, warnings: warnings.list });
  else {
    printWarnings(warnings.list, false);
    console.log(formatStatusTable(exp.id, jobs));
    if (services.length > 0) console.log(`\n${formatServicesTable(services)}`);
  }
  return 0;
}

export async function logsCommand(
  id: string,
  job: string | undefined,
  options: { regex?: string; follow?: boolean },
  global: GlobalOptions,
): Promise<number> {
  const warnings = new RecordWarnings();
  const exp = await open(id, global, warnings);
  // One job asked for by name: a damaged one is its own error, the others do not matter.
  if (job === undefined) printWarnings(warnings.list, false);
  const names = job === undefined ? exp.jobs.map((j) => j.name) : [job];
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const color = useColor();
  const streamOptions = {
    ...(options.regex ? { regex: options.regex } : {}),
    follow: options.follow ?? false,
    signal: controller.signal,
  };
  // Jobs are read side by side, so following several shows each line as it arrives.
  await Promise.all(
    names.map(async (name) => {
      for await (const { line } of exp.logStream(name, streamOptions))
        console.log(job === undefined ? `${paint("blue", `[${name}]`, color)} ${line}` : line);
    }),
  );
  return 0;
}

export async function cancelCommand(
  id: string,
  job: string | undefined,
  options: { all?: boolean },
  global: GlobalOptions,
): Promise<number> {
  const exp = await open(id, global);
  if (options.all) await exp.cancelAll();
  else if (job !== undefined) await exp.cancel(job);
  else {
    console.error("Say which job to cancel (its index or name), or --all for every job.");
    return 2;
  }
  return statusCommand(exp.id, global);
}

export async function resumeCommand(
  id: string,
  options: { detach?: boolean; tailLogs?: boolean },
  global: GlobalOptions,
): Promise<number> {
  const exp = await open(id, global);
  const result = await exp.resume({ detach: options.detach ?? false, tailLogs: options.tailLogs ?? false });
  if (global.json) printJson(result);
  return result.ok ? 0 : 1;
}
