import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorTable, type ErrorCode } from "../../src/errors.js";

const root = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const entries = Object.entries(errorTable) as [ErrorCode, (typeof errorTable)[ErrorCode]][];

/** `| \`CODE\` | \`Class\` | status |` rows of a markdown table, by code. */
function rows(markdown: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of markdown.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const code = /^`([A-Z][A-Z_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (code) found.set(code, cells.slice(2));
  }
  return found;
}

/** Classes deriving from LabrunError in the Python package, with the code each declares. */
function pythonCodes(): Map<string, string> {
  const dir = join(root, "clients", "python", "labrun");
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".py")) files.push(path);
    }
  };
  walk(dir);
  const codes = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/^class (\w+)\(([^)]*)\):\n((?:(?:    .*)?\n)*)/gm)) {
      const code = /^    code(?:: str)? = "([A-Z_]+)"/m.exec(match[3] ?? "")?.[1];
      if (code) codes.set(match[1]!, code);
    }
  }
  return codes;
}

describe("error codes in the docs and the Python client", () => {
  const documented = rows(read("docs/errors.md"));

  it("docs/errors.md has a row for every code with its class and status, and none for unknown codes", () => {
    const problems: string[] = [];
    for (const [code, entry] of entries) {
      const row = documented.get(code);
      if (!row) problems.push(`${code}: no row`);
      else if (row[0] !== `\`${entry.class.name}\`` || row[1] !== String(entry.status))
        problems.push(
          `${code}: row says ${row[0]} ${row[1]}, table says ${entry.class.name} ${entry.status}`,
        );
    }
    const pythonOnly = rows(read("docs/errors.md").split("## Python-only codes")[1] ?? "");
    for (const code of documented.keys())
      if (!(code in errorTable) && !pythonOnly.has(code))
        problems.push(`${code}: documented, not in errorTable`);
    expect(problems).toEqual([]);
  });

  it("docs/server-api.md gives each code it lists the status of the table", () => {
    const problems: string[] = [];
    for (const line of read("docs/server-api.md").split("\n")) {
      const cells = line.split("|").map((cell) => cell.trim());
      const status = Number(cells[2]);
      if (!Number.isInteger(status) || !cells[1]?.startsWith("`")) continue;
      for (const [, code] of cells[1].matchAll(/`([A-Z_]+)`/g)) {
        const entry = errorTable[code as ErrorCode] as { status: number } | undefined;
        if (!entry) problems.push(`${code}: not in errorTable`);
        else if (entry.status !== status)
          problems.push(`${code}: ${status} in the docs, ${entry.status} in the table`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("the Python client uses TypeScript's code for each class both have, and only documented codes of its own", () => {
    const python = pythonCodes();
    expect(python.size).toBeGreaterThan(30); // the parser found the classes
    const tsCodeOf = new Map(entries.map(([code, entry]) => [entry.class.name, code] as const));
    tsCodeOf.set("RunNotFoundError", "RUN_NOT_FOUND");
    const pythonOnly = rows(read("docs/errors.md").split("## Python-only codes")[1] ?? "");
    const problems: string[] = [];
    for (const [name, code] of python) {
      const ts = tsCodeOf.get(name);
      if (ts !== undefined && ts !== code && name !== "ServerRequestError")
        problems.push(`${name}: ${code} in Python, ${ts} in TypeScript`);
      if (!(code in errorTable) && !pythonOnly.has(code))
        problems.push(`${name}: code ${code} is neither TypeScript's nor a documented Python-only code`);
    }
    expect(problems).toEqual([]);
  });
});
