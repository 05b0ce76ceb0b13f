import {
  logFileCommand,
  logMessageCommand,
  logMetricCommand,
  logParamCommand,
  type LogTarget,
} from "../commands/log-commands.js";
import { runsListCommand, runsMetricsCommand, runsShowCommand } from "../commands/runs-commands.js";
import { syncCommand } from "../commands/sync.js";
import { command, group } from "../option-table.js";
import { runsRootOption } from "../shared-options.js";

/** The run a `labrun log` command adds to. */
const target = {
  prefix: {
    argument: "<prefix>",
    description: "the run owner/project/path/name (default: this job's run, $LABRUN_RUN_DIR)",
  },
  root: runsRootOption,
} as const;

const targetOf = (options: { prefix?: string | undefined; root?: string | undefined }): LogTarget => ({
  ...(options.prefix ? { prefix: options.prefix } : {}),
  ...(options.root ? { root: options.root } : {}),
});

/** `labrun log …`: tracking from any language. */
export const logGroup = group(
  "add to a tracked run from any language: the launched job's own run, or --prefix",
  {
    metric: command({
      description: "append one point to a metric stream: labrun log metric train loss=0.5 step=3",
      arguments: [{ name: "<stream>" }, { name: "<fields...>" }],
      options: target,
      action: ([stream, fields], options) => logMetricCommand(stream, fields, targetOf(options)),
    }),
    param: command({
      description: "set parameters (dotted keys nest): labrun log param lr=0.001 model.depth=50",
      arguments: [{ name: "<params...>" }],
      options: target,
      action: ([params], options) => logParamCommand(params, targetOf(options)),
    }),
    file: command({
      description: "store a file under a folder of the run; prints its stored path",
      arguments: [{ name: "<folder>" }, { name: "<path>" }],
      options: { ...target, name: { argument: "<name>", description: "file name to store it under" } },
      action: ([folder, path], options) =>
        logFileCommand(folder, path, options.name ? { name: options.name } : {}, targetOf(options)),
    }),
    msg: command({
      description: 'append a log message: labrun log msg --level warn "loss is NaN"',
      arguments: [{ name: "<message...>" }],
      options: {
        ...target,
        level: { argument: "<level>", description: "debug, info (default), warn, error or fatal" },
      },
      action: ([words], options) =>
        logMessageCommand(words, options.level ? { level: options.level } : {}, targetOf(options)),
    }),
  },
);

/** `labrun runs …`: reading tracked runs. */
export const runsGroup = group("look at tracked runs (yours and launched jobs')", {
  list: command({
    description: "list runs, newest prefixes sorted",
    options: {
      prefix: { argument: "<prefix>", description: "only runs under this prefix" },
      tag: { argument: "<tag>", description: "only runs with this tag" },
      status: {
        argument: "<status>",
        description: "only runs with this status (RUNNING, COMPLETED, FAILED, CANCELLED, UNKNOWN)",
      },
      root: runsRootOption,
    },
    action: (_args, options) => runsListCommand(options, options),
  }),
  show: command({
    description: "a run's status, parameters, last metrics and files (and its logs, its tracks)",
    arguments: [{ name: "<prefix>", description: "owner/project/path/name" }],
    options: {
      root: runsRootOption,
      logs: { description: "also every log record: time, level, message and metadata" },
      tracks: { description: "also the tracks: topic, entry count and last entry" },
    },
    action: ([prefix], options) => runsShowCommand(prefix, options, options),
  }),
  metrics: command({
    description: "the points of one metric stream (None: the unnamed stream)",
    arguments: [
      { name: "<prefix>", description: "owner/project/path/name" },
      { name: "<name>", description: "metric stream" },
    ],
    options: {
      csv: { description: "comma-separated values" },
      maxPoints: { argument: "<n>", description: "downsample to about n points, keeping minima and maxima" },
      from: { argument: "<value>", description: "first index (or --by field value) to include" },
      to: { argument: "<value>", description: "last index (or --by field value) to include" },
      by: {
        argument: "<field>",
        description: "what --from/--to compare: index (default) or a field such as step",
      },
      root: runsRootOption,
    },
    action: ([prefix, name], options) => runsMetricsCommand(prefix, name, options, options),
  }),
});

/** `labrun sync`: local runs and the remote buffer to a server. */
export const syncTableCommand = command({
  description:
    "upload local-mode runs and the batches remote-mode runs left in the buffer to a labrun server (idempotent)",
  options: {
    prefix: { argument: "<prefix>", description: "only runs at or under this prefix" },
    url: { argument: "<url>", description: "the server (default: $LABRUN_URL)" },
    token: { argument: "<token>", description: "bearer token (default: $LABRUN_TOKEN)" },
    root: {
      argument: "<dir>",
      description: "folder of local runs (default: $LABRUN_RUNS, else <workspace>/runs and <workspace>/jobs)",
    },
    runs: { negate: true, description: "only send the buffer, not the local runs" },
    buffer: { negate: true, description: "only upload local runs, not the buffer" },
  },
  action: (_args, options) => syncCommand(options, options),
});
