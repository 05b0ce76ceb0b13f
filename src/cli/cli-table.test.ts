import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cliTable } from "./cli-table.js";
import { isGroup, kebab, optionFlags, type CommandTable, type OptionSpec } from "./option-table.js";
import { buildProgram } from "./program.js";

const docs = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

/** Every command of the table with its path (`experiment logs`), description and options. */
function commands(
  table: CommandTable,
  path: string[] = [],
): { path: string[]; description: string; options: [string, OptionSpec][] }[] {
  return Object.entries(table).flatMap(([name, spec]) =>
    isGroup(spec)
      ? commands(spec.commands, [...path, name])
      : [
          {
            path: [...path, name],
            description: spec.description,
            options: Object.entries(spec.options ?? {}),
          },
        ],
  );
}

/** The `## …` section of docs/cli.md whose heading names this command (`labrun jobs list|show|clean`). */
function section(path: string[]): string | undefined {
  const parts = docs.split(/^## /m);
  return parts.find((part) => {
    const heading = part.split("\n", 1)[0] ?? "";
    const words = /`labrun ([^`]*)`/.exec(heading)?.[1]?.split(/[\s|]+/) ?? [];
    return path.every((word) => words.includes(word));
  });
}

describe("docs/cli.md", () => {
  it("has a section for every command of the table, naming each of its options", () => {
    const problems: string[] = [];
    for (const { path, options } of commands(cliTable)) {
      const text = section(path);
      if (!text) {
        problems.push(`labrun ${path.join(" ")}: no section`);
        continue;
      }
      for (const [name, spec] of options) {
        const flag = `--${spec.negate ? "no-" : ""}${kebab(name)}`;
        if (name !== "workspace" && name !== "json" && !new RegExp(`${flag}(?![\\w-])`).test(text))
          problems.push(`labrun ${path.join(" ")}: ${flag} not described`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("lists the options every command takes", () => {
    expect(docs).toContain("`--workspace <dir>`");
    expect(docs).toContain("`--json`");
  });
});

describe("the program built from the table", () => {
  it("has every command of the table, whose --help shows its description and each option", () => {
    const program = buildProgram({
      name: "labrun",
      version: "0",
      description: "d",
      table: cliTable,
      setExitCode: () => {},
    });
    const all = commands(cliTable);
    expect(all.length).toBeGreaterThan(25);
    for (const { path, description, options } of all) {
      let command = program;
      for (const name of path) command = command.commands.find((c) => c.name() === name) ?? command;
      expect(command.name(), path.join(" ")).toBe(path[path.length - 1]);
      const help = command.helpInformation({ error: false }).replace(/\s+/g, " ");
      expect(help).toContain(description.replace(/\s+/g, " "));
      for (const [name, spec] of [...options, ["workspace", { description: "" }] as const])
        expect(help, `${path.join(" ")} ${name}`).toContain(optionFlags(name, spec).split(" <")[0]);
    }
  });
});
