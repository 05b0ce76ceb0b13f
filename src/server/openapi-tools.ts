import { z } from "zod";

/** The body of every error answer (`{"error": {"code", "message", "details"}}`). */
export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "details"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: { type: "object" } },
    },
  },
};

/** The statuses any request may get besides its success (src/server/error-mapper.ts). */
export const errorStatuses = [400, 401, 403, 404, 405, 409, 413, 414, 415, 431, 503, 507] as const;

/**
 * Turns zod schemas into JSON Schemas for one OpenAPI document: the definitions zod puts in a local `$defs`
 * (recursive JSON values) are moved to `components.schemas` and their `$ref`s rewritten, so that every
 * reference resolves from the document's root.
 */
export class SchemaRegistry {
  /** What goes into `components.schemas`. */
  readonly schemas: Record<string, unknown> = {};
  #count = 0;

  /** The JSON Schema of `schema` (its input side: what a client sends). */
  json(schema: z.ZodType): Record<string, unknown> {
    const {
      $schema: _ignored,
      $defs,
      ...rest
    } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    const renamed = new Map<string, string>();
    for (const name of Object.keys(($defs as Record<string, unknown> | undefined) ?? {}))
      renamed.set(`#/$defs/${name}`, `#/components/schemas/Value${this.#count++}`);
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (typeof value !== "object" || value === null) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => [
          key,
          key === "$ref" && typeof inner === "string" ? (renamed.get(inner) ?? inner) : rewrite(inner),
        ]),
      );
    };
    for (const [name, def] of Object.entries(($defs as Record<string, unknown> | undefined) ?? {}))
      this.schemas[renamed.get(`#/$defs/${name}`)!.slice("#/components/schemas/".length)] = rewrite(def);
    return rewrite(rest) as Record<string, unknown>;
  }

  /** Query parameters of a strict zod object. */
  queryParameters(schema: z.ZodObject): object[] {
    const json = this.json(schema) as { properties?: Record<string, object>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, property]) => ({
      name,
      in: "query",
      required: json.required?.includes(name) ?? false,
      schema: property,
    }));
  }
}

/** The `responses` of an operation: its success, then every error status with the error body. */
export function responses(success: string, content: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { "200": { description: success, content } };
  for (const status of errorStatuses)
    out[String(status)] = {
      description: "Error (see the error codes of docs/server-api.md)",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  return out;
}

/** Every `$ref` of a document that does not resolve from its root (empty for a self-contained document). */
export function unresolvedRefs(document: unknown): string[] {
  const missing: string[] = [];
  const resolve = (ref: string): boolean => {
    if (!ref.startsWith("#/")) return false;
    let node: unknown = document;
    for (const part of ref.slice(2).split("/")) {
      const key = part.replaceAll("~1", "/").replaceAll("~0", "~");
      if (typeof node !== "object" || node === null || !(key in node)) return false;
      node = (node as Record<string, unknown>)[key];
    }
    return true;
  };
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== "object" || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string" && !resolve(inner)) missing.push(inner);
      else walk(inner);
    }
  };
  walk(document);
  return missing;
}
