import { runExperiment, showConfiguration } from "../../experiment/run-experiment.js";
import type { RunExperimentResult } from "../../experiment/run-experiment.js";
import { formatTable, paint } from "../../util/table.js";
import { printJson } from "../output.js";
import type { GlobalOptions } from "./experiment-commands.js";

export interface RunExperimentCommandOptions {
  readonly runMode?: string;
  readonly preYaml?: readonly string[];
  readonly postYaml?: readonly string[];
  readonly config?: readonly string[];
  readonly show?: boolean;
}

/**
 * `labrun run-experiment [options] experiment.yaml`. Exit code 1 when a job failed (NORMAL); `--show`
 * prints the merged configuration as JSON and runs nothing.
 */
export async function runExperimentCommand(
  yamlFile: string,
  options: RunExperimentCommandOptions,
  global: GlobalOptions,
): Promise<number> {
  const files = {
    yamlFile,
    preYaml: options.preYaml ?? [],
    postYaml: options.postYaml ?? [],
    overrides: options.config ?? [],
  };
  if (options.show) {
    printJson(showConfiguration(files));
    return 0;
  }
  const result = await runExperiment({
    ...files,
    runMode: options.runMode ?? "NORMAL",
    ...(global.workspace ? { workspace: global.workspace } : {}),
    ...(global.json ? { cleanMode: true } : {}),
    // Services (a file browser, a dashboard) stay up after the jobs until Ctrl-C.
    waitForServices: true,
  });
  if (global.json) printJson(result);
  else if (result.runMode !== "NORMAL") console.log(describePlan(result));
  return result.ok ? 0 : 1;
}

function describePlan(result: RunExperimentResult): string {
  const { runMode, id, jobs } = result;
  if (jobs.length === 0) return `${runMode} ${id}: the experiment file added no jobs.`;
  const reused = jobs.filter((job) => job.state === "reused").length;
  const rows = jobs.map((job) => [
    String(job.index),
    job.name,
    job.state === "reused" ? paint("green", "reused") : "new",
    job.identity,
    job.dependencies.join(", ") || "-",
    ...("script" in job ? [job.script] : []),
  ]);
  const headers = ["#", "job", "state", "identity", "after", ...(runMode === "GENERATE" ? ["script"] : [])];
  const summary =
    runMode === "DRY_RUN"
      ? `DRY_RUN ${id}: ${jobs.length} job(s), ${reused} would be reused, ${jobs.length - reused} would run. Nothing was run.`
      : `GENERATE ${id}: wrote run.sh and params.json for ${jobs.length} job(s) in their job directories. Nothing was run.`;
  return `${formatTable(headers, rows)}\n${summary}`;
}
