import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isLabrunError, UsageError } from "../../errors.js";
import { parsePlan } from "../../experiment/plan/parse-plan.js";
import { PlanEventSink } from "../../experiment/plan/plan-events.js";
import { runPlan } from "../../experiment/plan/run-plan.js";
import type { PlanOutcome } from "../../experiment/plan/run-plan.js";
import { formatTable } from "../../util/table.js";
import { printJson } from "../output.js";
import { resultsFileVariable } from "./run-python-file.js";

export interface PlanRunOptions {
  readonly events?: string | undefined;
}

/**
 * `labrun plan run [FILE|-]`: validates a plan (docs/plan-protocol.md), then launches, lists or generates its
 * jobs through the same `Experiment` TypeScript uses. Exit code 0 when every job completed (or nothing was
 * run), 1 when one failed or on a typed error; the events, if asked for, say the same in JSON lines.
 */
export async function planRunCommand(
  file: string | undefined,
  options: PlanRunOptions,
  global: { readonly workspace?: string; readonly json?: boolean },
): Promise<number> {
  const sink = options.events ? new PlanEventSink(options.events) : undefined;
  // `labrun run x.py` above us learns the results here (the script itself may exit 0 after a failed job).
  const resultsFile = process.env[resultsFileVariable];
  delete process.env[resultsFileVariable];
  const results = resultsFile ? new PlanEventSink(resultsFile) : undefined;
  try {
    const source = !file || file === "-" ? "the plan on stdin" : resolve(file);
    const plan = parsePlan(readPlanText(file), source);
    const outcome = await runPlan(plan, {
      ...(global.workspace ? { workspace: global.workspace } : {}),
      emit: (event) => {
        sink?.emit(event);
        if (event.event === "result") results?.emit(event);
      },
      ...(sink?.toStdout ? { printTails: false } : {}),
    });
    if (global.json) printJson(outcome);
    else if (outcome.mode !== "NORMAL") {
      const out = sink?.toStdout ? process.stderr : process.stdout;
      out.write(`${describeListing(outcome)}\n`);
    }
    return outcome.exitCode;
  } catch (error) {
    if (isLabrunError(error))
      sink?.emit({ event: "error", code: error.code, message: error.message, details: error.details });
    throw error;
  } finally {
    sink?.close();
    results?.close();
  }
}

function readPlanText(file: string | undefined): string {
  try {
    return readFileSync(!file || file === "-" ? 0 : resolve(file), "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read the plan ${file ?? "-"}: ${(error as Error).message}.`);
  }
}

function describeListing(outcome: PlanOutcome): string {
  const rows = outcome.jobs.map((job) => [
    String(job.index),
    job.name,
    job.state,
    job.identity.slice(0, 12),
    job.dependencies.join(", ") || "-",
    ...("script" in job ? [job.script] : []),
  ]);
  const headers = [
    "#",
    "job",
    "state",
    "identity",
    "after",
    ...(outcome.mode === "GENERATE" ? ["script"] : []),
  ];
  const what =
    outcome.mode === "DRY_RUN"
      ? "Nothing was run."
      : "Wrote run.sh and params.json in each job directory. Nothing was run.";
  return `${formatTable(headers, rows)}\n${outcome.mode} ${outcome.experimentId}: ${outcome.jobs.length} job(s). ${what}`;
}
