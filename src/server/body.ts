import type { z } from "zod";
import { BadRequestError, PayloadTooLargeError } from "../errors.js";
import { jsonDepth } from "./fast-points.js";

/**
 * Reads and drops the rest of a refused body (up to `maxBytes`), so that a client still sending it gets the
 * error response instead of a reset connection; past that, the connection is cut.
 */
export async function drainRest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes = 64 * 1024 * 1024,
): Promise<void> {
  let drained = 0;
  try {
    while (drained <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) return;
      drained += value.byteLength;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => undefined);
}

/** Reads the whole request body, refusing (413) as soon as it passes `limit` bytes. */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit)
    throw new PayloadTooLargeError("The request body", limit);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await drainRest(reader);
      throw new PayloadTooLargeError("The request body", limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The body as text; bytes that are not UTF-8 are refused, never stored as U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError("The request body is not valid UTF-8. Encode the JSON text as UTF-8.", {
      details: { problem: "invalid-utf8" },
    });
  }
}

/** Parses JSON text, checking its nesting depth and refusing `__proto__` keys. Throws BadRequestError. */
export function parseJsonText(
  text: string,
  maxDepth: number,
  skip?: (key: string, depth: number) => boolean,
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(
      `The request body is not valid JSON (${(error as Error).message}). Send a JSON document; ` +
        'write NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity".',
      { details: { problem: "malformed-json" } },
    );
  }
  if (jsonDepth(value, maxDepth, skip) > maxDepth) {
    throw new BadRequestError(`The request body is nested more than ${maxDepth} levels deep. Flatten it.`, {
      details: { problem: "too-deep", maxDepth },
    });
  }
  return value;
}

/** Reads, parses and validates a JSON body against a zod schema. */
export async function readJson<T>(
  request: Request,
  schema: z.ZodType<T>,
  limits: { readonly jsonBodyBytes: number; readonly jsonDepth: number },
  skip?: (key: string, depth: number) => boolean,
): Promise<T> {
  const bytes = await readBodyBytes(request, limits.jsonBodyBytes);
  const text = decodeUtf8(bytes);
  const value = text.trim() === "" ? {} : parseJsonText(text, limits.jsonDepth, skip);
  return validate(schema, value, "body");
}

/** Checks `value` with `schema`; the error names every wrong field. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.map(String).join(".");
    return `${path ? `${where}.${path}` : where}: ${issue.message}`;
  });
  throw new BadRequestError(`The request ${where} is not valid: ${issues.join("; ")}.`, {
    details: { problem: "invalid", issues },
  });
}
