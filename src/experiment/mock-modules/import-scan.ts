/**
 * The names a source file imports from one module, so that a fake of that module can export them: an
 * ES module must declare its exports before it is linked, and `import { nn } from "torch"` fails on a
 * module that does not export `nn`. A light scan (no parser): it sees `import … from`, `export … from`,
 * members used through `import * as ns`, and `const { a } = await import("m")`. Type-only imports are
 * left out, since TypeScript erases them.
 */
export function importedNames(source: string, specifier: string): string[] {
  const names = new Set<string>();
  const clauses = /(?:^|[^\w$.])(import|export)\s+(type\s+)?([\w$\s{},*]*?)\s*from\s*(["'])([^"'\n]+)\4/g;
  for (const match of source.matchAll(clauses)) {
    const [, , typeOnly, clause = "", , from] = match;
    if (from !== specifier || typeOnly) continue;
    const braces = /\{([^}]*)\}/.exec(clause);
    if (braces) for (const name of bindingNames(braces[1]!)) names.add(name);
    const namespace = /\*\s*as\s+([\w$]+)/.exec(clause);
    if (namespace) for (const name of membersOf(source, namespace[1]!)) names.add(name);
  }
  const quoted = escapeRegExp(specifier);
  const destructured = new RegExp(
    `\\{([^}]*)\\}\\s*=\\s*await\\s+import\\(\\s*(["'])${quoted}\\2\\s*\\)`,
    "g",
  );
  for (const match of source.matchAll(destructured))
    for (const entry of match[1]!.split(",")) {
      const name = entry.split(":")[0]!.trim();
      if (isIdentifier(name)) names.add(name);
    }
  const member = new RegExp(
    `\\(\\s*await\\s+import\\(\\s*(["'])${quoted}\\1\\s*\\)\\s*\\)\\s*\\.\\s*([\\w$]+)`,
    "g",
  );
  for (const match of source.matchAll(member)) names.add(match[2]!);
  // `default` is always exported; a `then` export would make the module namespace look like a promise.
  names.delete("default");
  names.delete("then");
  return [...names].sort();
}

/** `a, b as c, type T` → `a`, `b` (what is imported, not the local names). */
function bindingNames(list: string): string[] {
  return list
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry && !/^type\s/.test(entry))
    .map((entry) => entry.split(/\s+as\s+/)[0]!.trim())
    .filter(isIdentifier);
}

/** The members read through a namespace import: `ns.nn.Linear` → `nn`. */
function membersOf(source: string, namespace: string): string[] {
  const usage = new RegExp(`(?:^|[^\\w$.])${escapeRegExp(namespace)}\\s*\\??\\.\\s*([\\w$]+)`, "g");
  return [...source.matchAll(usage)].map((match) => match[1]!);
}

function isIdentifier(name: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(name);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
