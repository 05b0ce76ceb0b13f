import type { CommandTable } from "./option-table.js";
import {
  experimentGroup,
  experimentsGroup,
  jobsGroup,
  runCommand,
  runExperimentYamlCommand,
} from "./table/launch-commands.js";
import {
  monitorTableCommand,
  planGroup,
  serveTableCommand,
  storeGroup,
  tokenGroup,
  uiTableCommand,
} from "./table/server-commands.js";
import { logGroup, runsGroup, syncTableCommand } from "./table/tracking-commands.js";

/** Every `labrun` command, in `--help` order (docs/cli.md describes each). */
export const cliTable = {
  run: runCommand,
  "run-experiment": runExperimentYamlCommand,
  experiment: experimentGroup,
  jobs: jobsGroup,
  experiments: experimentsGroup,
  log: logGroup,
  runs: runsGroup,
  ui: uiTableCommand,
  monitor: monitorTableCommand,
  serve: serveTableCommand,
  token: tokenGroup,
  store: storeGroup,
  sync: syncTableCommand,
  plan: planGroup,
} as const satisfies CommandTable;

/** The program's own description (`labrun --help`). */
export const programDescription = "Define, launch, track and look at machine-learning experiments.";
