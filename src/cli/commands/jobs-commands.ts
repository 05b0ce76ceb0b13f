import { UsageError } from "../../errors.js";
import { jobStates } from "../../workspace/job-record.js";
import { formatTable, paintState } from "../../util/table.js";
import {
  listJobEntries,
  referencedJobDirs,
  removeJobDir,
  unreferencedJobs,
} from "../../workspace/job-catalog.js";
import { Workspace } from "../../workspace/workspace.js";
import { printJson, printWarnings } from "../output.js";
import { basename, dirname, relative } from "node:path";
import { CorruptRecordError } from "../../errors.js";
import { RecordWarnings } from "../../util/record-warning.js";

interface JobsGlobal {
  readonly workspace?: string;
  readonly json?: boolean;
}

export function jobsListCommand(options: { task?: string; state?: string }, global: JobsGlobal): number {
  const state = options.state?.toUpperCase();
  if (state && !(jobStates as readonly string[]).includes(state))
    throw new UsageError(`--state must be one of ${jobStates.join(", ")}, not "${options.state}".`);
  const warnings = new RecordWarnings();
  const jobs = listJobEntries(new Workspace(global.workspace), warnings.add).filter(
    (job) => (!options.task || job.task === options.task) && (!state || job.record.state === state),
  );
  printWarnings(warnings.list, global.json ?? false);
  if (global.json) {
    printJson(jobs.map(({ task, identity, dir, record }) => ({ ...record, taskName: task, identity, dir })));
    return 0;
  }
  console.log(
    formatTable(
      ["Task", "Identity", "State", "Last run by", "Ended"],
      jobs.map((job) => [
        job.task,
        job.identity.slice(0, 12),
        paintState(job.record.state),
        `${job.record.experimentId} (${job.record.name})`,
        job.record.endedAt ?? "-",
      ]),
    ),
  );
  return 0;
}

export function jobsShowCommand(identity: string, global: JobsGlobal): number {
  const workspace = new Workspace(global.workspace);
  const warnings = new RecordWarnings();
  const matches = listJobEntries(workspace, warnings.add).filter((job) => job.identity.startsWith(identity));
  // A job asked for by identity whose record is damaged: say so, rather than "no such job".
  const damaged = warnings.list.find((w) => basename(dirname(w.file)).startsWith(identity));
  if (matches.length === 0 && damaged) throw new CorruptRecordError(damaged.file, damaged.problem);
  if (matches.length === 0)
    throw new UsageError(`No job with an identity starting with "${identity}". See \`labrun jobs list\`.`);
  if (matches.length > 1)
    throw new UsageError(
      `"${identity}" matches ${matches.length} jobs; give more characters of the identity.`,
    );
  const job = matches[0]!;
  const referenced = referencedJobDirs(workspace).has(relative(workspace.root, job.dir));
  if (global.json) {
    printJson({ ...job.record, taskName: job.task, identity: job.identity, dir: job.dir, referenced });
    return 0;
  }
  const r = job.record;
  console.log(
    `${job.task} ${job.identity}\n  state: ${paintState(r.state)}${r.reason ? ` (${r.reason})` : ""}`,
  );
  console.log(
    `  directory: ${job.dir}\n  last run by: ${r.experimentId} as "${r.name}", attempt ${r.attempt}`,
  );
  if (r.launch) console.log(`  command: ${r.launch.argv.join(" ")}\n  in: ${r.launch.cwd}`);
  console.log(`  referenced by an experiment: ${referenced ? "yes" : "no (labrun jobs clean removes it)"}`);
  return 0;
}

export function jobsCleanCommand(options: { yes?: boolean }, global: JobsGlobal): number {
  const workspace = new Workspace(global.workspace);
  const warnings = new RecordWarnings();
  const unused = unreferencedJobs(workspace, warnings.add);
  const bytes = unused.reduce((sum, job) => sum + job.bytes, 0);
  if (!global.json) printWarnings(warnings.list, false);
  if (global.json)
    printJson({
      removed: options.yes === true,
      jobs: unused.map(({ task, identity, dir, bytes }) => ({ task, identity, dir, bytes })),
      warnings: warnings.list,
    });
  else {
    for (const job of unused)
      console.log(
        `${options.yes ? "removing" : "would remove"} ${job.task}/${job.identity} (${(job.bytes / 1e6).toFixed(1)} MB)`,
      );
    console.log(
      unused.length === 0
        ? "No job is unreferenced: every job directory belongs to an experiment."
        : options.yes
          ? `Removed ${unused.length} job(s), ${(bytes / 1e6).toFixed(1)} MB.`
          : `${unused.length} job(s), ${(bytes / 1e6).toFixed(1)} MB, belong to no experiment. Run \`labrun jobs clean --yes\` to remove them.`,
    );
  }
  if (options.yes) for (const job of unused) removeJobDir(job.dir);
  return 0;
}
