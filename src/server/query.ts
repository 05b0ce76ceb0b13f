import type { Context } from "hono";
import type { z } from "zod";
import { validate } from "./body.js";

/** The query string as an object of single values (a repeated key keeps its last value). */
export function queryObject(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URL(c.req.url).searchParams) out[key] = value;
  return out;
}

/** Validates the query string with a strict schema (an unknown parameter is a 400). */
export function readQuery<T>(
  c: Context,
  schema: z.ZodType<T>,
  omit: (key: string) => boolean = () => false,
): T {
  const query = queryObject(c);
  for (const key of Object.keys(query)) if (omit(key)) delete query[key];
  return validate(schema, query, "query");
}
