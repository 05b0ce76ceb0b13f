import { InvalidTaskError } from "../../errors.js";

/**
 * The value as plain JSON (a deep copy), or an `InvalidTaskError` naming the first part that is not: a
 * function, `undefined`, a class instance, NaN or ±Infinity, a bigint.
 */
export function checkJson(value: unknown, what: string, path = ""): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    return fail(what, path, `${value} (JSON has no NaN or Infinity)`);
  }
  if (Array.isArray(value)) return value.map((item, index) => checkJson(item, what, `${path}[${index}]`));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        checkJson(item, what, path ? `${path}.${key}` : key),
      ]),
    );
  const kind =
    typeof value === "object" ? `a ${(value as object).constructor?.name ?? "object"}` : `a ${typeof value}`;
  return fail(what, path, kind);
}

function fail(what: string, path: string, found: string): never {
  throw new InvalidTaskError(
    `${what} must be JSON: ${path || "the value"} is ${found}. Pass numbers, strings, booleans, null, lists and dicts.`,
    { details: { path } },
  );
}
