import { describe, expect, expectTypeOf, it } from "vitest";
import { UsageError } from "../errors.js";
import { command, optionFlags, type ArgumentValues, type OptionValues } from "./option-table.js";
import { buildProgram } from "./program.js";
import { parsePort, portOption } from "./shared-options.js";

describe("the option table's types", () => {
  it("infers each argument's type from its name", () => {
    type Args = ArgumentValues<
      readonly [{ name: "<id>" }, { name: "[job]" }, { name: "<fields...>" }, { name: "[rest...]" }]
    >;
    expectTypeOf<Args>().toEqualTypeOf<readonly [string, string | undefined, string[], string[]]>();
  });

  it("infers each option's type from its spec", () => {
    type Values = OptionValues<{
      flag: { description: "" };
      text: { description: ""; argument: "<x>" };
      withDefault: { description: ""; argument: "<x>"; default: "1" };
      required: { description: ""; argument: "<x>"; required: true };
      many: { description: ""; argument: "<x>"; repeatable: true };
      negated: { description: ""; negate: true };
      port: ReturnType<typeof portOption>;
      parsed: { description: ""; argument: "<x>"; parse: (text: string) => string[] };
    }>;
    expectTypeOf<Values>().toEqualTypeOf<{
      readonly flag: boolean | undefined;
      readonly text: string | undefined;
      readonly withDefault: string;
      readonly required: string;
      readonly many: string[];
      readonly negated: boolean;
      readonly port: number;
      readonly parsed: string[] | undefined;
    }>();
  });

  it("types the action from the table (a wrong use does not compile)", () => {
    command({
      description: "d",
      arguments: [{ name: "<id>" }, { name: "[job]" }],
      options: { port: portOption("1", "p"), all: { description: "a" } },
      action: ([id, job], options) => {
        expectTypeOf(id).toEqualTypeOf<string>();
        expectTypeOf(job).toEqualTypeOf<string | undefined>();
        expectTypeOf(options.port).toEqualTypeOf<number>();
        expectTypeOf(options.all).toEqualTypeOf<boolean | undefined>();
        expectTypeOf(options.workspace).toEqualTypeOf<string | undefined>();
        // @ts-expect-error: no such option in the table
        void options.nope;
      },
    });
  });
});

describe("buildProgram", () => {
  const table = {
    get: command({
      description: "get things",
      arguments: [{ name: "<id>", description: "which" }, { name: "[more...]" }],
      options: {
        port: portOption("4500", "port"),
        preYaml: { argument: "<file>", description: "repeat me", repeatable: true },
        auth: { negate: true, description: "no auth" },
      },
      action: (args, options) => {
        seen.push({ args, options: { ...options } });
        return options.auth ? 3 : 4;
      },
    }),
  };
  const seen: { args: unknown; options: Record<string, unknown> }[] = [];

  it("hands the action typed, parsed values and its exit code back", async () => {
    let exit = -1;
    const program = buildProgram({
      name: "t",
      version: "1",
      description: "d",
      table,
      setExitCode: (c) => (exit = c),
    });
    await program.parseAsync(["node", "t", "get", "x", "y", "z", "--pre-yaml", "a", "--pre-yaml", "b"]);
    expect(exit).toBe(3);
    expect(seen.at(-1)).toMatchObject({
      args: ["x", ["y", "z"]],
      options: { port: 4500, preYaml: ["a", "b"], auth: true },
    });
    await program.parseAsync(["node", "t", "--workspace", "/w", "get", "x", "--no-auth", "--port", "0"]);
    expect(exit).toBe(4);
    expect(seen.at(-1)?.options).toMatchObject({ port: 0, auth: false, workspace: "/w" });
    expect(process.env.LABRUN_HOME).toBe("/w");
  });

  it("refuses a bad value with a UsageError from the table's parser", async () => {
    const program = buildProgram({ name: "t", version: "1", description: "d", table, setExitCode: () => {} });
    await expect(program.parseAsync(["node", "t", "get", "x", "--port", "70000"])).rejects.toThrow(
      UsageError,
    );
    expect(() => parsePort("-1")).toThrow('--port must be a port number (0-65535), not "-1".');
  });

  it("writes flags as commander reads them", () => {
    expect(optionFlags("maxBodyMb", { description: "", argument: "<mb>" })).toBe("--max-body-mb <mb>");
    expect(optionFlags("config", { description: "", argument: "<k=v>", shorthand: "c" })).toBe(
      "-c, --config <k=v>",
    );
    expect(optionFlags("auth", { description: "", negate: true })).toBe("--no-auth");
  });
});
