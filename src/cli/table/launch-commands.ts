import { runExperimentFile } from "../commands/run-file.js";
import { runExperimentCommand } from "../commands/run-experiment.js";
import {
  cancelCommand,
  listCommand,
  logsCommand,
  resumeCommand,
  statusCommand,
} from "../commands/experiment-commands.js";
import { jobsCleanCommand, jobsListCommand, jobsShowCommand } from "../commands/jobs-commands.js";
import { experimentsListCommand, experimentsResyncCommand } from "../commands/experiments-commands.js";
import { command, group } from "../option-table.js";

/** `labrun run`: an experiment file of any language. */
export const runCommand = command({
  description: "run an experiment file: TypeScript, JavaScript or Python (exits non-zero if a job fails)",
  arguments: [
    { name: "<file>", description: "experiment file, e.g. experiment.ts" },
    {
      name: "[args...]",
      description: "arguments for the experiment file (its process.argv.slice(2)); put them after --",
    },
  ],
  action: ([file, args], options) => runExperimentFile(file, args, { json: options.json ?? false }),
});

/** `labrun run-experiment`: experimaestro's YAML experiments. */
export const runExperimentYamlCommand = command({
  description:
    "run an experiment described by YAML files (experimaestro's run-experiment); exits non-zero if a job fails",
  arguments: [
    {
      name: "<yaml>",
      description: "the experiment's YAML file (id, file or module, and the experiment's own keys)",
    },
  ],
  options: {
    runMode: {
      argument: "<mode>",
      description: "NORMAL (run the jobs), DRY_RUN (list them) or GENERATE (write their scripts)",
      default: "NORMAL",
    },
    preYaml: {
      argument: "<file>",
      description: "a YAML file merged before the main one (repeatable)",
      repeatable: true,
    },
    postYaml: {
      argument: "<file>",
      description: "a YAML file merged after the main one (repeatable)",
      repeatable: true,
    },
    config: {
      shorthand: "c",
      argument: "<key.path=value>",
      description: "override one value, OmegaConf dotlist syntax (repeatable)",
      repeatable: true,
    },
    show: { description: "print the merged configuration as JSON and run nothing" },
  },
  action: ([yaml], options) => runExperimentCommand(yaml, options, options),
});

/** `labrun experiment …`: one launched experiment. */
export const experimentGroup = group("inspect and control launched experiments", {
  list: command({
    description: "list experiments in the workspace",
    options: { title: { argument: "<title>", description: "only experiments with this title" } },
    action: (_args, options) => listCommand(options, options),
  }),
  status: command({
    description: "status of each job of an experiment",
    arguments: [{ name: "<id>", description: "experiment id (or title: the latest with it)" }],
    action: ([id], options) => statusCommand(id, options),
  }),
  logs: command({
    description: "show the output of one job (index or name) or of every job",
    arguments: [
      { name: "<id>", description: "experiment id (or title)" },
      { name: "[job]", description: "job index or name; all jobs when omitted" },
    ],
    options: {
      regex: { argument: "<pattern>", description: "only lines matching this regular expression" },
      follow: { shorthand: "f", description: "keep printing new lines until the job ends" },
    },
    action: ([id, job], options) => logsCommand(id, job, options, options),
  }),
  cancel: command({
    description: "cancel a job (and its dependents), or every job with --all",
    arguments: [
      { name: "<id>", description: "experiment id (or title)" },
      { name: "[job]", description: "job index or name" },
    ],
    options: { all: { description: "cancel every unfinished job" } },
    action: ([id, job], options) => cancelCommand(id, job, options, options),
  }),
  resume: command({
    description:
      "take over an experiment whose driver died: record what ended, watch what runs, start what waits",
    arguments: [{ name: "<id>", description: "experiment id (or title)" }],
    options: {
      detach: { description: "hand it to a background supervisor and return" },
      tailLogs: { description: "show the jobs' output while waiting" },
    },
    action: ([id], options) => resumeCommand(id, options, options),
  }),
});

/** `labrun jobs …`: job directories, shared by experiments. */
export const jobsGroup = group("the job directories of the workspace (shared by experiments through reuse)", {
  list: command({
    description: "every job with its task, identity, state and the experiment that last ran it",
    options: {
      task: { argument: "<task>", description: "only jobs of this task" },
      state: { argument: "<state>", description: "only jobs in this state" },
    },
    action: (_args, options) => jobsListCommand(options, options),
  }),
  show: command({
    description: "one job's record, command and directory",
    arguments: [{ name: "<identity>", description: "the identity, or its first characters" }],
    action: ([identity], options) => jobsShowCommand(identity, options),
  }),
  clean: command({
    description: "remove the jobs no experiment references (lists them first; --yes removes)",
    options: { yes: { description: "remove them" } },
    action: (_args, options) => jobsCleanCommand(options, options),
  }),
});

/** `labrun experiments …`: the workspace index. */
export const experimentsGroup = group(
  "every experiment of the workspace, through its index (index.sqlite, rebuilt from the files)",
  {
    list: command({
      description: "one line per experiment: title [host] (completed/total jobs), id and state",
      options: {
        title: { argument: "<title>", description: "only experiments with this title (the YAML id)" },
        host: { argument: "<host>", description: "only experiments launched on this host" },
        state: {
          argument: "<state>",
          description: "only experiments in this state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED)",
        },
      },
      action: (_args, options) => experimentsListCommand(options, options),
    }),
    resync: command({
      description:
        "rebuild the index from the experiment folders (hosts kept from the files; gone folders removed)",
      action: (_args, options) => experimentsResyncCommand(options),
    }),
  },
);
