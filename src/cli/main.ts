import { Command, Option } from "commander";
import { UsageError } from "../errors.js";
import { reportError } from "./output.js";
import { runExperimentFile } from "./commands/run-file.js";
import {
  logFileCommand,
  logMessageCommand,
  logMetricCommand,
  logParamCommand,
} from "./commands/log-commands.js";
import { runsListCommand, runsMetricsCommand, runsShowCommand } from "./commands/runs-commands.js";
import { jobsCleanCommand, jobsListCommand, jobsShowCommand } from "./commands/jobs-commands.js";
import { experimentsListCommand, experimentsResyncCommand } from "./commands/experiments-commands.js";
import type { ExperimentsListOptions } from "./commands/experiments-commands.js";
import { runExperimentCommand } from "./commands/run-experiment.js";
import type { RunExperimentCommandOptions } from "./commands/run-experiment.js";
import {
  cancelCommand,
  listCommand,
  logsCommand,
  resumeCommand,
  statusCommand,
} from "./commands/experiment-commands.js";
import type { GlobalOptions } from "./commands/experiment-commands.js";
import { registerUiCommand } from "./commands/ui.js";
import { registerMonitorCommand } from "./commands/monitor.js";
import { readFileSync } from "node:fs";
import { registerServeCommand } from "./commands/serve.js";
import { registerTokenCommands } from "./commands/token.js";
import { registerSyncCommand } from "./commands/sync.js";
import { registerPlanCommand } from "./commands/plan-command.js";

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The option every command understands, declared once. */
const globalOptions = [
  new Option("--workspace <dir>", "workspace directory (default: $LABRUN_HOME or ~/.labrun)"),
  new Option("--json", "machine-readable output"),
] as const;

function withGlobals(command: Command): Command {
  for (const option of globalOptions) command.addOption(option);
  return command;
}

function globals(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<GlobalOptions>();
  // Jobs and experiment files launched from here see the same workspace.
  if (options.workspace) process.env.LABRUN_HOME = options.workspace;
  return options;
}

let exitCode = 0;
const program = withGlobals(
  new Command("labrun")
    .version(version)
    .description("Define, launch, track and look at machine-learning experiments.")
    .showSuggestionAfterError()
    .exitOverride(),
);

program
  .command("run")
  .description("run an experiment file: TypeScript, JavaScript or Python (exits non-zero if a job fails)")
  .argument("<file>", "experiment file, e.g. experiment.ts")
  .argument("[args...]", "arguments for the experiment file (its process.argv.slice(2)); put them after --")
  .action(async (file: string, args: string[], _options: unknown, command: Command) => {
    const options = globals(command);
    exitCode = await runExperimentFile(file, args, { json: options.json ?? false });
  });

/** For options given once per value: `--pre-yaml a.yaml --pre-yaml b.yaml`. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command("run-experiment")
  .description(
    "run an experiment described by YAML files (experimaestro's run-experiment); exits non-zero if a job fails",
  )
  .argument("<yaml>", "the experiment's YAML file (id, file or module, and the experiment's own keys)")
  .option(
    "--run-mode <mode>",
    "NORMAL (run the jobs), DRY_RUN (list them) or GENERATE (write their scripts)",
    "NORMAL",
  )
  .option("--pre-yaml <file>", "a YAML file merged before the main one (repeatable)", collect, [])
  .option("--post-yaml <file>", "a YAML file merged after the main one (repeatable)", collect, [])
  .option(
    "-c, --config <key.path=value>",
    "override one value, OmegaConf dotlist syntax (repeatable)",
    collect,
    [],
  )
  .option("--show", "print the merged configuration as JSON and run nothing")
  .action(async (yaml: string, options: RunExperimentCommandOptions, command: Command) => {
    exitCode = await runExperimentCommand(yaml, options, globals(command));
  });

const experiment = program.command("experiment").description("inspect and control launched experiments");

experiment
  .command("list")
  .description("list experiments in the workspace")
  .option("--title <title>", "only experiments with this title")
  .action((options: { title?: string }, command: Command) => {
    exitCode = listCommand(options, globals(command));
  });

experiment
  .command("status")
  .description("status of each job of an experiment")
  .argument("<id>", "experiment id (or title: the latest with it)")
  .action(async (id: string, _options: unknown, command: Command) => {
    exitCode = await statusCommand(id, globals(command));
  });

experiment
  .command("logs")
  .description("show the output of one job (index or name) or of every job")
  .argument("<id>", "experiment id (or title)")
  .argument("[job]", "job index or name; all jobs when omitted")
  .option("--regex <pattern>", "only lines matching this regular expression")
  .option("-f, --follow", "keep printing new lines until the job ends")
  .action(
    async (
      id: string,
      job: string | undefined,
      options: { regex?: string; follow?: boolean },
      command: Command,
    ) => {
      exitCode = await logsCommand(id, job, options, globals(command));
    },
  );

experiment
  .command("cancel")
  .description("cancel a job (and its dependents), or every job with --all")
  .argument("<id>", "experiment id (or title)")
  .argument("[job]", "job index or name")
  .option("--all", "cancel every unfinished job")
  .action(async (id: string, job: string | undefined, options: { all?: boolean }, command: Command) => {
    exitCode = await cancelCommand(id, job, options, globals(command));
  });

experiment
  .command("resume")
  .description(
    "take over an experiment whose driver died: record what ended, watch what runs, start what waits",
  )
  .argument("<id>", "experiment id (or title)")
  .option("--detach", "hand it to a background supervisor and return")
  .option("--tail-logs", "show the jobs' output while waiting")
  .action(async (id: string, options: { detach?: boolean; tailLogs?: boolean }, command: Command) => {
    exitCode = await resumeCommand(id, options, globals(command));
  });

const jobs = program
  .command("jobs")
  .description("the job directories of the workspace (shared by experiments through reuse)");
jobs
  .command("list")
  .description("every job with its task, identity, state and the experiment that last ran it")
  .option("--task <task>", "only jobs of this task")
  .option("--state <state>", "only jobs in this state")
  .action((options: { task?: string; state?: string }, command: Command) => {
    exitCode = jobsListCommand(options, globals(command));
  });
jobs
  .command("show")
  .description("one job's record, command and directory")
  .argument("<identity>", "the identity, or its first characters")
  .action((identity: string, _options: unknown, command: Command) => {
    exitCode = jobsShowCommand(identity, globals(command));
  });
jobs
  .command("clean")
  .description("remove the jobs no experiment references (lists them first; --yes removes)")
  .option("--yes", "remove them")
  .action((options: { yes?: boolean }, command: Command) => {
    exitCode = jobsCleanCommand(options, globals(command));
  });

const experiments = program
  .command("experiments")
  .description("every experiment of the workspace, through its index (index.sqlite, rebuilt from the files)");
experiments
  .command("list")
  .description("one line per experiment: title [host] (completed/total jobs), id and state")
  .option("--title <title>", "only experiments with this title (the YAML id)")
  .option("--host <host>", "only experiments launched on this host")
  .option(
    "--state <state>",
    "only experiments in this state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED)",
  )
  .action((options: ExperimentsListOptions, command: Command) => {
    exitCode = experimentsListCommand(options, globals(command));
  });
experiments
  .command("resync")
  .description(
    "rebuild the index from the experiment folders (hosts kept from the files; gone folders removed)",
  )
  .action((_options: unknown, command: Command) => {
    exitCode = experimentsResyncCommand(globals(command));
  });

const runsRootOption = () =>
  new Option("--root <dir>", "folder of runs (default: $LABRUN_RUNS, else <workspace>/runs)");

const log = program
  .command("log")
  .description("add to a tracked run from any language: the launched job's own run, or --prefix");
for (const [name, description, args] of [
  [
    "metric",
    "append one point to a metric stream: labrun log metric train loss=0.5 step=3",
    ["<stream>", "<fields...>"],
  ],
  ["param", "set parameters (dotted keys nest): labrun log param lr=0.001 model.depth=50", ["<params...>"]],
  ["file", "store a file under a folder of the run; prints its stored path", ["<folder>", "<path>"]],
  ["msg", 'append a log message: labrun log msg --level warn "loss is NaN"', ["<message...>"]],
] as const) {
  const command = log.command(name).description(description);
  for (const arg of args) command.argument(arg);
  command.option(
    "--prefix <prefix>",
    "the run owner/project/path/name (default: this job's run, $LABRUN_RUN_DIR)",
  );
  command.addOption(runsRootOption());
  if (name === "file") command.option("--name <name>", "file name to store it under");
  if (name === "msg") command.option("--level <level>", "debug, info (default), warn, error or fatal");
  command.action(async (...parameters: unknown[]) => {
    const cmd = parameters[parameters.length - 1] as Command;
    const options = cmd.opts<{ prefix?: string; root?: string; name?: string; level?: string }>();
    globals(cmd);
    const target = {
      ...(options.prefix ? { prefix: options.prefix } : {}),
      ...(options.root ? { root: options.root } : {}),
    };
    const values = parameters.slice(0, args.length) as (string | string[])[];
    if (name === "metric")
      exitCode = await logMetricCommand(values[0] as string, values[1] as string[], target);
    if (name === "param") exitCode = await logParamCommand(values[0] as string[], target);
    if (name === "file")
      exitCode = await logFileCommand(
        values[0] as string,
        values[1] as string,
        options.name ? { name: options.name } : {},
        target,
      );
    if (name === "msg")
      exitCode = await logMessageCommand(
        values[0] as string[],
        options.level ? { level: options.level } : {},
        target,
      );
  });
}

const runs = program.command("runs").description("look at tracked runs (yours and launched jobs')");
runs
  .command("list")
  .description("list runs, newest prefixes sorted")
  .option("--prefix <prefix>", "only runs under this prefix")
  .option("--tag <tag>", "only runs with this tag")
  .option("--status <status>", "only runs with this status (RUNNING, COMPLETED, FAILED, CANCELLED, UNKNOWN)")
  .addOption(runsRootOption())
  .action((options: { prefix?: string; tag?: string; status?: string; root?: string }, command: Command) => {
    exitCode = runsListCommand(options, {
      ...globals(command),
      ...(options.root ? { root: options.root } : {}),
    });
  });
runs
  .command("show")
  .description("a run's status, parameters, last metrics and files")
  .argument("<prefix>", "owner/project/path/name")
  .addOption(runsRootOption())
  .action(async (prefix: string, options: { root?: string }, command: Command) => {
    exitCode = await runsShowCommand(prefix, {
      ...globals(command),
      ...(options.root ? { root: options.root } : {}),
    });
  });
runs
  .command("metrics")
  .description("the points of one metric stream (use - for the unnamed stream)")
  .argument("<prefix>", "owner/project/path/name")
  .argument("<name>", "metric stream")
  .option("--csv", "comma-separated values")
  .option("--max-points <n>", "downsample to about n points, keeping minima and maxima")
  .option("--from <value>", "first index (or --by field value) to include")
  .option("--to <value>", "last index (or --by field value) to include")
  .option("--by <field>", "what --from/--to compare: index (default) or a field such as step")
  .addOption(runsRootOption())
  .action(
    async (
      prefix: string,
      name: string,
      options: { csv?: boolean; maxPoints?: string; from?: string; to?: string; by?: string; root?: string },
      command: Command,
    ) => {
      exitCode = await runsMetricsCommand(prefix, name, options, {
        ...globals(command),
        ...(options.root ? { root: options.root } : {}),
      });
    },
  );

registerUiCommand(program, (code) => (exitCode = code));
registerMonitorCommand(program, (code) => (exitCode = code));

registerServeCommand(program);
registerTokenCommands(program);
registerSyncCommand(program, (code) => (exitCode = code));
const plan = registerPlanCommand(program, (code) => (exitCode = code));

for (const command of [
  ...program.commands,
  ...experiment.commands,
  ...log.commands,
  ...runs.commands,
  ...jobs.commands,
  ...experiments.commands,
  ...plan.commands,
]) {
  withGlobals(command);
  command.exitOverride();
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help")
    exitCode = 0;
  else if (typeof code === "string" && code.startsWith("commander.")) exitCode = 2;
  else
    exitCode = reportError(
      error instanceof Error && code === "commander.invalidArgument" ? new UsageError(error.message) : error,
    );
}
process.exitCode = exitCode;
