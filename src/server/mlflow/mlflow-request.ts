import type { Context } from "hono";
import type { z } from "zod";
import { MlflowRequestError } from "../../errors.js";
import type { Principal, ServerEnv } from "../auth.js";
import { decodeUtf8, readBodyBytes, parseJsonText, validate } from "../body.js";
import type { ServerContext } from "../context.js";
import { queryObject } from "../query.js";

/** MLflow reads GET fields from the query string and everything else from a JSON body. */
export async function input<T>(c: Context<ServerEnv>, schema: z.ZodType<T>, ctx: ServerContext): Promise<T> {
  if (c.req.method === "GET") return validate(schema, queryObject(c), "query");
  const bytes = await readBodyBytes(c.req.raw, ctx.limits.jsonBodyBytes);
  const text = decodeUtf8(bytes);
  return validate(schema, text.trim() === "" ? {} : parseJsonText(text, ctx.limits.jsonDepth), "body");
}

export function requireWrite(principal: Principal): void {
  if (principal.readOnly) {
    throw new MlflowRequestError("PERMISSION_DENIED", "This token is read-only: it cannot write.", 403);
  }
}

export const tagRecord = (tags: readonly { key: string; value: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value]));
