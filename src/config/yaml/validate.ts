import { ConfigValueError, ExperimentFileError, UnknownConfigKeyError } from "../../errors.js";
import type { LoadedConfig } from "./config-loader.js";
import { dottedPath, isConfigMap } from "./yaml-layer.js";
import type { ConfigPath } from "./yaml-layer.js";

/** One problem zod reports. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
}

/**
 * An experiment file's `configuration`: a zod object schema (any copy of zod 4), normally
 * `ConfigurationBase.extend({...})`.
 */
export interface ConfigurationSchema<T = unknown> {
  safeParse(
    data: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

interface ZodDef {
  readonly type: string;
  readonly shape?: Record<string, unknown>;
  readonly catchall?: { readonly _zod?: { readonly def?: ZodDef } };
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly element?: unknown;
  readonly valueType?: unknown;
  readonly getter?: () => unknown;
}

/**
 * Validates the merged configuration against the experiment's schema. A key the schema does not declare
 * is an `UnknownConfigKeyError` naming the closest declared key (zod would drop it silently); a value the
 * schema rejects is a `ConfigValueError` naming the file and line it was written at.
 */
export function validateConfiguration<T>(config: LoadedConfig, schema: ConfigurationSchema<T>): T {
  if (typeof schema?.safeParse !== "function" || !objectShape(schema)?.id)
    throw new ExperimentFileError(
      `The experiment file's \`configuration\` export is not a zod object schema with an \`id\` key. ` +
        "Export `configuration = ConfigurationBase.extend({ … })` (ConfigurationBase comes from labrun).",
    );
  const unknown = findUnknownKey(schema, config.data, []);
  if (unknown) {
    const closest = closestKey(unknown.key, unknown.known);
    const parent = unknown.path.slice(0, -1);
    throw new UnknownConfigKeyError(
      dottedPath(unknown.path),
      config.where(unknown.path),
      closest === undefined ? undefined : dottedPath([...parent, closest]),
      unknown.known,
    );
  }
  const parsed = schema.safeParse(config.data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  throw new ConfigValueError(`${describeIssue(config, issues[0]!)}${more}`, {
    details: {
      file: config.file,
      key: issues[0]!.path.map(String).join("."),
      issues: issues.map((issue) => ({
        path: issue.path.map(String),
        message: issue.message,
        where: config.where(toPath(issue.path)),
      })),
    },
  });
}

/** `experiment.yaml:7: optimizer.lr: Invalid input: expected number, received string`. */
export function describeIssue(config: LoadedConfig, issue: SchemaIssue): string {
  const path = toPath(issue.path);
  const value = valueAt(config.data, path);
  const shown = value === undefined ? "" : ` (got ${truncate(JSON.stringify(value))})`;
  const missing = value === undefined && !config.sets(path);
  return (
    `${config.where(path)}: ${path.length ? dottedPath(path) : "configuration"}: ${issue.message}${shown}` +
    (missing
      ? `; \`${dottedPath(path)}\` is required: set it in a YAML file or with -c ${dottedPath(path)}=…`
      : "")
  );
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function truncate(text: string | undefined, max = 60): string {
  if (text === undefined) return "undefined";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function toPath(path: readonly PropertyKey[]): ConfigPath {
  return path.map((segment) => (typeof segment === "number" ? segment : String(segment)));
}

function defOf(schema: unknown): ZodDef | undefined {
  return (schema as { _zod?: { def?: ZodDef } } | undefined)?._zod?.def;
}

/** The schema under optional/default/nullable/pipe/lazy wrappers. */
function unwrap(schema: unknown): ZodDef | undefined {
  let def = defOf(schema);
  for (let depth = 0; def && depth < 50; depth++) {
    if (def.innerType !== undefined) def = defOf(def.innerType);
    else if (def.type === "pipe") def = defOf(def.in);
    else if (def.type === "lazy" && def.getter) def = defOf(def.getter());
    else break;
  }
  return def;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  const def = unwrap(schema);
  return def?.type === "object" ? def.shape : undefined;
}

function findUnknownKey(
  schema: unknown,
  value: unknown,
  path: (string | number)[],
): { path: ConfigPath; key: string; known: string[] } | undefined {
  const def = unwrap(schema);
  if (!def) return undefined;
  if (def.type === "object" && def.shape && isConfigMap(value)) {
    const catchallType = def.catchall?._zod?.def?.type;
    const open = catchallType !== undefined && catchallType !== "never";
    for (const [key, item] of Object.entries(value)) {
      if (key in def.shape) {
        const found = findUnknownKey(def.shape[key], item, [...path, key]);
        if (found) return found;
      } else if (!open) {
        return { path: [...path, key], key, known: Object.keys(def.shape) };
      }
    }
  } else if (def.type === "array" && Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnknownKey(def.element, item, [...path, index]);
      if (found) return found;
    }
  } else if (def.type === "record" && isConfigMap(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = findUnknownKey(def.valueType, item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/** The known key nearest to `key` by edit distance (case-insensitive), if it is plausibly a typo of it. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  if (!best) return undefined;
  const limit = Math.max(2, Math.ceil(Math.max(key.length, best.key.length) / 3));
  const related =
    best.key.toLowerCase().includes(key.toLowerCase()) || key.toLowerCase().includes(best.key.toLowerCase());
  return best.distance <= limit || related ? best.key : undefined;
}

export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}
