import { Command, Option } from "commander";
import type { AnyCommandSpec, CommandTable, GroupSpec, OptionSpec } from "./option-table.js";
import { isGroup, optionFlags } from "./option-table.js";
import { globalOptions } from "./shared-options.js";

/** For options given once per value: `--pre-yaml a.yaml --pre-yaml b.yaml`. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

function toOption(name: string, spec: OptionSpec): Option {
  const option = new Option(optionFlags(name, spec), spec.description);
  if (spec.repeatable) option.argParser(collect).default([]);
  else if (spec.default !== undefined) option.default(spec.default);
  if (spec.required) option.makeOptionMandatory();
  return option;
}

function addOptions(command: Command, options: Readonly<Record<string, OptionSpec>>): void {
  for (const [name, spec] of Object.entries(options)) command.addOption(toOption(name, spec));
  // The shared options follow the command's own, unless it placed them itself.
  for (const [name, spec] of Object.entries(globalOptions))
    if (!(name in options)) command.addOption(toOption(name, spec));
  command.exitOverride();
}

/** The action's options: commander's values (the parents' shared ones included), parsed by the table. */
function optionValues(
  command: Command,
  options: Readonly<Record<string, OptionSpec>>,
): Record<string, unknown> {
  const values: Record<string, unknown> = { ...command.optsWithGlobals() };
  for (const [name, spec] of Object.entries(options)) {
    const text = values[name];
    if (spec.parse && typeof text === "string") values[name] = spec.parse(text);
  }
  return values;
}

function addCommand(
  parent: Command,
  name: string,
  spec: AnyCommandSpec,
  setExitCode: (code: number) => void,
): void {
  const command = parent.command(name).description(spec.description);
  for (const argument of spec.arguments ?? []) command.argument(argument.name, argument.description);
  const options = spec.options ?? {};
  addOptions(command, options);
  const action = spec.action as (
    args: unknown[],
    options: Record<string, unknown>,
  ) => ReturnType<AnyCommandSpec["action"]>;
  command.action(async (...parameters: unknown[]) => {
    const args = parameters.slice(0, spec.arguments?.length ?? 0);
    const values = optionValues(parameters[parameters.length - 1] as Command, options);
    // Jobs and experiment files launched from here see the same workspace.
    if (typeof values.workspace === "string" && values.workspace) process.env.LABRUN_HOME = values.workspace;
    setExitCode((await action(args, values)) ?? 0);
  });
}

function addGroup(parent: Command, name: string, spec: GroupSpec, setExitCode: (code: number) => void): void {
  const command = parent.command(name).description(spec.description);
  addOptions(command, {});
  addTable(command, spec.commands, setExitCode);
}

function addTable(parent: Command, table: CommandTable, setExitCode: (code: number) => void): void {
  for (const [name, spec] of Object.entries(table)) {
    if (isGroup(spec)) addGroup(parent, name, spec, setExitCode);
    else addCommand(parent, name, spec, setExitCode);
  }
}

/**
 * The commander program of a command table: every command with its arguments and options (which drive
 * `--help`), the shared options on the program, each group and each command, and errors thrown rather than
 * printed-and-exited (commander's exit override), so that `main` turns them into exit codes in one place.
 * `setExitCode` receives each action's exit code.
 */
export function buildProgram(options: {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly table: CommandTable;
  readonly setExitCode: (code: number) => void;
}): Command {
  const program = new Command(options.name)
    .version(options.version)
    .description(options.description)
    .showSuggestionAfterError();
  addOptions(program, {});
  addTable(program, options.table, options.setExitCode);
  return program;
}
