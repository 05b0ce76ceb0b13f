/**
 * The types of the CLI's option table (in the spirit of Vitest's cli-config): each command is data (its
 * description, arguments and options) plus an action over the library. `buildProgram` turns the table into
 * commander commands, so the table drives parsing and `--help`; the action's argument and option types are
 * inferred from the table, never written by hand.
 */

/** One option. Its key in `options` is the camelCase name the action receives (`maxPoints` is `--max-points`). */
export interface OptionSpec {
  readonly description: string;
  /** The value's placeholder (`<port>`); without it the option is a flag. */
  readonly argument?: `<${string}>`;
  /** One letter: `-c` for `--config`. */
  readonly shorthand?: string;
  /** Shown in `--help` as given, and handed to `parse` like a typed value. */
  readonly default?: string;
  /** Given once per value (`--pre-yaml a --pre-yaml b`): the action gets every value, `[]` for none. */
  readonly repeatable?: true;
  /** Refused by commander when missing. */
  readonly required?: true;
  /** A flag written `--no-<name>`: the action gets `true` unless it is given. */
  readonly negate?: true;
  /** The value the action gets, from the text (or the default); throws a UsageError for a bad one. */
  readonly parse?: (text: string) => unknown;
}

/** One positional argument: `<name>` required, `[name]` optional, `...` for the rest of them. */
export interface ArgumentSpec {
  readonly name: `<${string}>` | `[${string}]`;
  readonly description?: string;
}

/** What each option gives the action. */
export type OptionValue<S extends OptionSpec> = S extends { negate: true }
  ? boolean
  : S extends { argument: string }
    ? S extends { repeatable: true }
      ? string[]
      : Given<S, S extends { parse: (text: string) => infer V } ? V : string>
    : boolean | undefined;

type Given<S, V> = S extends { default: string } | { required: true } ? V : V | undefined;

/** The options object of an action. */
export type OptionValues<O extends Readonly<Record<string, OptionSpec>>> = {
  readonly [K in keyof O]: OptionValue<O[K]>;
};

/** The positional values of an action, in order. */
export type ArgumentValues<A extends readonly ArgumentSpec[]> = {
  readonly [I in keyof A]: A[I] extends { name: `${string}...${string}` }
    ? string[]
    : A[I] extends { name: `<${string}` }
      ? string
      : string | undefined;
};

/** An action's result: its exit code (nothing: 0). */
export type ActionResult = number | void | Promise<number | void>;

/** A command that runs something. */
export interface CommandSpec<
  A extends readonly ArgumentSpec[] = readonly ArgumentSpec[],
  O extends Readonly<Record<string, OptionSpec>> = Readonly<Record<string, OptionSpec>>,
> {
  readonly description: string;
  readonly arguments?: A;
  /**
   * The command's options in `--help` order. The shared options every command takes (`--workspace`, `--json`)
   * come after them unless listed here.
   */
  readonly options?: O;
  readonly action: (args: ArgumentValues<A>, options: OptionValues<O> & GlobalValues) => ActionResult;
}

/** A command that only holds others (`labrun experiment …`). */
export interface GroupSpec {
  readonly description: string;
  readonly commands: CommandTable;
}

/** Commands by name, in `--help` order. */
export type CommandTable = Readonly<Record<string, AnyCommandSpec | GroupSpec>>;

/** A command of any arguments and options (the table's element type; the action was checked by `command`). */
export interface AnyCommandSpec {
  readonly description: string;
  readonly arguments?: readonly ArgumentSpec[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly action: (args: never, options: never) => ActionResult;
}

/** What the shared options give every action. */
export interface GlobalValues {
  readonly workspace?: string | undefined;
  readonly json?: boolean | undefined;
}

/**
 * One command of the table, its action typed from its arguments and options.
 *
 * @example
 * const status = command({
 *   description: "status of each job of an experiment",
 *   arguments: [{ name: "<id>", description: "experiment id" }],
 *   action: ([id], options) => statusCommand(id, options), // id: string, options.json: boolean | undefined
 * });
 */
export function command<
  const A extends readonly ArgumentSpec[] = readonly [],
  const O extends Readonly<Record<string, OptionSpec>> = Readonly<Record<never, OptionSpec>>,
>(spec: CommandSpec<A, O>): AnyCommandSpec {
  return spec as unknown as AnyCommandSpec;
}

/** A group of commands (`labrun jobs list|show|clean`). */
export function group(description: string, commands: CommandTable): GroupSpec {
  return { description, commands };
}

/** True for a group. */
export function isGroup(spec: AnyCommandSpec | GroupSpec): spec is GroupSpec {
  return "commands" in spec;
}

/** `maxPoints` → `max-points`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The option as commander writes it: `-c, --config <key.path=value>`, `--no-auth`, `--show`. */
export function optionFlags(name: string, spec: OptionSpec): string {
  const long = `--${spec.negate ? "no-" : ""}${kebab(name)}`;
  return `${spec.shorthand ? `-${spec.shorthand}, ` : ""}${long}${spec.argument ? ` ${spec.argument}` : ""}`;
}
