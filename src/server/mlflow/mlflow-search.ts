import { RE2JS } from "re2js";
import { invalidParameter } from "./mlflow-errors.js";

/** One `entity.key op value` clause of an MLflow search filter. */
export interface FilterClause {
  readonly entity: "attribute" | "param" | "tag" | "metric";
  readonly key: string;
  readonly op: "=" | "!=" | ">" | ">=" | "<" | "<=" | "LIKE" | "ILIKE";
  readonly value: string | number;
}

const entities: Readonly<Record<string, FilterClause["entity"]>> = {
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
  metric: "metric",
  metrics: "metric",
};

const clausePattern =
  /^\s*(?:([A-Za-z]+)\.)?(`[^`]+`|"[^"]+"|[\w.\-/: ]+?)\s*(!=|>=|<=|=|>|<|\bI?LIKE\b)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/i;

/** Parses the subset of MLflow's filter syntax labrun supports: clauses joined by AND. */
export function parseFilter(filter: string | undefined): FilterClause[] {
  if (!filter || filter.trim() === "") return [];
  return filter.split(/\s+AND\s+/i).map((text) => {
    const match = clausePattern.exec(text);
    if (!match) {
      throw invalidParameter(
        `Unsupported search filter clause '${text.trim()}'. labrun supports 'params.k = "v"', 'tags.k = "v"', ` +
          `'metrics.k > 0.5', 'attributes.status = "FINISHED"' and 'name LIKE "x%"', joined by AND.`,
      );
    }
    const [, prefix, rawKey, op, rawValue] = match;
    const entity = prefix ? entities[prefix.toLowerCase()] : "attribute";
    if (!entity) throw invalidParameter(`Unknown entity '${prefix}' in search filter '${text.trim()}'.`);
    const key = rawKey!.replace(/^[`"]|[`"]$/g, "");
    const value = /^['"]/.test(rawValue!) ? rawValue!.slice(1, -1).replace(/\\(.)/g, "$1") : Number(rawValue);
    return { entity, key, op: op!.toUpperCase() as FilterClause["op"], value };
  });
}

// RE2 (linear time): a LIKE with many `%` would make a backtracking RegExp polynomial in the value's length.
function likeToRegExp(pattern: string, ignoreCase: boolean): RE2JS {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replaceAll("%", ".*")
    .replaceAll("_", ".");
  return RE2JS.compile(`^${body}$`, RE2JS.DOTALL | (ignoreCase ? RE2JS.CASE_INSENSITIVE : 0));
}

/** Compares one value with a clause (undefined never matches, as in MLflow). */
export function matches(actual: string | number | undefined, clause: FilterClause): boolean {
  if (actual === undefined) return false;
  const { op, value } = clause;
  if (op === "LIKE" || op === "ILIKE")
    return likeToRegExp(String(value), op === "ILIKE")
      .matcher(String(actual))
      .matches();
  const a = typeof value === "number" ? Number(actual) : String(actual);
  switch (op) {
    case "=":
      return a === value;
    case "!=":
      return a !== value;
    case ">":
      return a > value;
    case ">=":
      return a >= value;
    case "<":
      return a < value;
    case "<=":
      return a <= value;
  }
}

/** Page tokens are offsets into the sorted result, base64-encoded. */
export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const offset = Number(Buffer.from(token, "base64").toString("utf8"));
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidParameter(`Invalid page token '${token}'.`);
  return offset;
}

export const encodePageToken = (offset: number): string => Buffer.from(String(offset)).toString("base64");
