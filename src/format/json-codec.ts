import { TrackingValueError } from "../errors.js";

/** A value that tracking stores: JSON, plus NaN and ±Infinity (written as Python's json writes them). */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Fields of a metric point, a track entry or log metadata. `undefined` fields are left out. */
export type JsonFields = { readonly [key: string]: JsonValue | undefined };

const maxDepth = 64;
// Stands for a non-finite number inside a JSON string while the text goes through JSON.parse / stringify.
// A real string equal to it is treated as that number; labrun never writes one.
const sentinel = "\u0000labrun:";
const sentinelPattern = /"\\u0000labrun:(NaN|Infinity|-Infinity)"/g;

function isFlatRecordOfPrimitives(value: object): boolean {
  if (Array.isArray(value) || !isPlainObject(value)) return false;
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    const type = typeof field;
    if (type === "number") {
      if ((field as number) - (field as number) !== 0) return false; // NaN or ±Infinity: the slow writer
    } else if (type !== "string" && type !== "boolean" && type !== "undefined" && field !== null)
      return false;
  }
  return true;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}

/**
 * Checks that `value` can be stored and says whether it holds a non-finite number (which needs the slow
 * writer). Throws TrackingValueError naming the first bad field.
 */
function check(value: unknown, path: string, depth: number): boolean {
  // The common case, a flat record of finite numbers, strings and booleans, is checked without building
  // the path of every field (only an error needs it): this runs once per logged point.
  if (typeof value === "object" && value !== null && isFlatRecordOfPrimitives(value)) return false;
  switch (typeof value) {
    case "number":
      return !Number.isFinite(value);
    case "string":
    case "boolean":
    case "undefined":
      return false;
    case "object": {
      if (value === null) return false;
      if (depth > maxDepth) {
        throw new TrackingValueError(
          `${path || "value"} is nested more than ${maxDepth} levels deep (a cycle?).`,
          {
            details: { path },
          },
        );
      }
      let nonFinite = false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (check(value[i], `${path}[${i}]`, depth + 1)) nonFinite = true;
        return nonFinite;
      }
      if (!isPlainObject(value)) {
        throw new TrackingValueError(
          `${path || "value"} is a ${describe(value)}, which cannot be stored as JSON. Pass numbers, strings, ` +
            `booleans, null, arrays or plain objects (convert it first, e.g. Array.from(typedArray), date.toISOString()).`,
          { details: { path, type: describe(value) } },
        );
      }
      for (const key in value) {
        if (check((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1))
          nonFinite = true;
      }
      return nonFinite;
    }
    default:
      throw new TrackingValueError(
        `${path || "value"} is a ${typeof value}, which cannot be stored as JSON. Pass numbers, strings, booleans, ` +
          `null, arrays or plain objects.`,
        { details: { path, type: typeof value } },
      );
  }
}

function nonFiniteReplacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? sentinel + String(value) : value;
}

/**
 * Serialises a tracked value as one line of JSON, checking it first. NaN and ±Infinity become the bare
 * tokens `NaN`, `Infinity`, `-Infinity`, as Python's `json.dumps` writes them (ML-Dash reads them back).
 */
export function encodeJson(value: unknown, path = ""): string {
  const nonFinite = check(value, path, 0);
  if (!nonFinite) return JSON.stringify(value);
  return JSON.stringify(value, nonFiniteReplacer).replace(sentinelPattern, "$1");
}

/** Like encodeJson for an object whose fields were already checked (by `checkFields`). */
export function checkFields(fields: object, path: string): boolean {
  return check(fields, path, 0);
}

export function stringifyChecked(value: unknown, nonFinite: boolean): string {
  return nonFinite
    ? JSON.stringify(value, nonFiniteReplacer).replace(sentinelPattern, "$1")
    : JSON.stringify(value);
}

function sentinelReviver(_key: string, value: unknown): unknown {
  if (typeof value === "string" && value.startsWith(sentinel)) {
    const token = value.slice(sentinel.length);
    if (token === "NaN") return NaN;
    if (token === "Infinity") return Infinity;
    if (token === "-Infinity") return -Infinity;
  }
  return value;
}

/** Rewrites bare NaN / Infinity / -Infinity tokens (outside strings) into sentinel strings. */
function quoteNonFiniteTokens(text: string): string | undefined {
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    let token: string | undefined;
    if (c === 0x4e && text.startsWith("NaN", i)) token = "NaN";
    else if (c === 0x49 && text.startsWith("Infinity", i)) token = "Infinity";
    else if (c === 0x2d && text.startsWith("-Infinity", i)) token = "-Infinity";
    if (token) {
      out += `${text.slice(last, i)}"\\u0000labrun:${token}"`;
      i += token.length - 1;
      last = i + 1;
    }
  }
  return last === 0 ? undefined : out + text.slice(last);
}

/**
 * Parses JSON written by labrun, ML-Dash or Python's json module: standard JSON plus the bare tokens NaN,
 * Infinity and -Infinity. Throws SyntaxError on anything else.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const quoted = quoteNonFiniteTokens(text);
    if (quoted === undefined) throw error;
    return JSON.parse(quoted, sentinelReviver);
  }
}
