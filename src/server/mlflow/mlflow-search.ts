import { RE2JS } from "re2js";
import { invalidParameter } from "./mlflow-errors.js";
import type { FilterClause } from "./mlflow-filter.js";

export { parseFilter, type FilterClause } from "./mlflow-filter.js";

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
  const { op, value } = clause;
  if (op === "IS NULL") return actual === undefined;
  if (actual === undefined) return false;
  if (op === "IS NOT NULL") return true;
  if (op === "IN") return (value as readonly string[]).includes(String(actual));
  if (op === "NOT IN") return !(value as readonly string[]).includes(String(actual));
  if (op === "LIKE" || op === "ILIKE")
    return likeToRegExp(String(value), op === "ILIKE")
      .matcher(String(actual))
      .matches();
  const v = value as string | number;
  const a = typeof v === "number" ? Number(actual) : String(actual);
  switch (op) {
    case "=":
      return a === v;
    case "!=":
      return a !== v;
    case ">":
      return a > v;
    case ">=":
      return a >= v;
    case "<":
      return a < v;
    case "<=":
      return a <= v;
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

/**
 * Sorts `found` in place by each order in turn (MLflow's `order_by`): a missing value sorts last whatever the
 * direction, as in MLflow.
 */
export function sortByOrders<T, O extends { readonly desc: boolean }>(
  found: T[],
  orders: readonly O[],
  valueOf: (item: T, order: O) => string | number | undefined,
): T[] {
  return found.sort((a, b) => {
    for (const order of orders) {
      const x = valueOf(a, order);
      const y = valueOf(b, order);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return (x < y ? -1 : 1) * (order.desc ? -1 : 1);
    }
    return 0;
  });
}

/** One page of a sorted result, and the token of the next page when there is one. */
export function pageOf<T>(
  found: readonly T[],
  pageToken: string | undefined,
  max: number,
): { page: T[]; next_page_token?: string } {
  const offset = decodePageToken(pageToken);
  return {
    page: found.slice(offset, offset + max),
    ...(offset + max < found.length ? { next_page_token: encodePageToken(offset + max) } : {}),
  };
}
