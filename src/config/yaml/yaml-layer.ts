import { readFileSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Node } from "yaml";
import { ConfigFileError } from "../../errors.js";

/** A key path into a configuration: map keys and list indices. */
export type ConfigPath = readonly (string | number)[];

/** Where a configuration value was written: a line of a YAML file, or a `-c` override. */
export type Origin =
  | { readonly kind: "file"; readonly file: string; readonly line: number }
  | { readonly kind: "override"; readonly text: string };

/**
 * One source of configuration values, lowest priority first when merged: a YAML file, or the `-c`
 * overrides. `origins` tells, for each path the layer sets (maps, lists, their items), where it was written.
 */
export interface ConfigLayer {
  /** The YAML file's absolute path, or `-c` for the overrides. */
  readonly source: string;
  readonly data: Record<string, unknown>;
  readonly origins: ReadonlyMap<string, Origin>;
}

/** A YAML map as plain data. */
export type ConfigMap = Record<string, unknown>;

/** The key of a path in a layer's `origins`. */
export function pathKey(path: ConfigPath): string {
  return JSON.stringify(path);
}

/** `a.b.0.c`, as the user writes it in `-c`. */
export function dottedPath(path: ConfigPath): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

/** True for a map (a plain object), false for lists, scalars and null. */
export function isConfigMap(value: unknown): value is ConfigMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A file as the user would write it: relative to the current directory when below it. */
export function displayFile(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

/** `file.yaml:12`, or `-c key=value`. */
export function formatOrigin(origin: Origin): string {
  return origin.kind === "file" ? `${displayFile(origin.file)}:${origin.line}` : `-c ${origin.text}`;
}

/** Reads a YAML file into a layer, with the line of every key and list item. An empty file is `{}`. */
export function readYamlLayer(file: string, referencedFrom?: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigFileError(
      `${referencedFrom ? `${referencedFrom}: ` : ""}YAML file ${displayFile(file)} ` +
        (code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (error as Error).message})`) +
        ". Check the path (relative paths in a YAML file are resolved against that file's folder).",
      { cause: error, details: { file } },
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    const line = lineCounter.linePos(problem.pos[0]).line;
    throw new ConfigFileError(
      `${displayFile(file)}:${line}: not valid YAML: ${problem.message.split("\n")[0]}. Fix the file and run again.`,
      { details: { file, line } },
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (data !== null && data !== undefined && !isConfigMap(data))
    throw new ConfigFileError(
      `${displayFile(file)}:1: an experiment YAML file holds a map of keys (\`id: my-experiment\`, …), ` +
        `not a ${Array.isArray(data) ? "list" : typeof data}.`,
      { details: { file, line: 1 } },
    );
  const origins = new Map<string, Origin>();
  const lineOf = (node: Node | null | undefined, fallback: number) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : fallback;
  const walk = (node: unknown, path: (string | number)[], line: number) => {
    origins.set(pathKey(path), { kind: "file", file, line });
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key], lineOf(pair.key as Node | null, line));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, [...path, index], lineOf(item as Node | null, line)));
    }
  };
  walk(doc.contents, [], 1);
  return { source: file, data: (data as ConfigMap | null) ?? {}, origins };
}
