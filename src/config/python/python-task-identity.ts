import { canonicalJson, sha256Hex } from "../canonical-json.js";

/** A reference to another typed task's output in parameters: `{ $task, $identity, $path? }` (docs/plan-protocol.md). */
export interface OutputReference {
  readonly task: string;
  readonly identity: string;
  readonly path?: string;
}

/**
 * The identity of a typed task: sha256 of the canonical JSON of `{ task, params }`, with the `meta` key paths
 * left out (`"*"` stands for every element of a list). The same function as `defineTask`'s, so a task defined in
 * Python and one defined in TypeScript with the same id and parameters share their jobs.
 */
export function typedTaskIdentity(
  taskId: string,
  params: Readonly<Record<string, unknown>>,
  meta: readonly (readonly string[])[] = [],
): string {
  let view: unknown = params;
  for (const path of meta) view = withoutPath(view, path);
  return sha256Hex(canonicalJson({ task: taskId, params: view }));
}

function withoutPath(value: unknown, path: readonly string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(value)) return head === "*" ? value.map((item) => withoutPath(item, rest)) : value;
  if (value === null || typeof value !== "object" || !(head in value)) return value;
  const copy = { ...(value as Record<string, unknown>) };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutPath(copy[head], rest);
  return copy;
}

/** The output references among the parameters, at any depth, in order. */
export function outputReferences(value: unknown): OutputReference[] {
  const found: OutputReference[] = [];
  const visit = (item: unknown): void => {
    const reference = asReference(item);
    if (reference) found.push(reference);
    else if (Array.isArray(item)) item.forEach(visit);
    else if (item !== null && typeof item === "object") Object.values(item).forEach(visit);
  };
  visit(value);
  return found;
}

/** The parameters with each reference replaced by `resolve(reference)`. */
export function mapReferences(value: unknown, resolve: (reference: OutputReference) => unknown): unknown {
  const reference = asReference(value);
  if (reference) return resolve(reference);
  if (Array.isArray(value)) return value.map((item) => mapReferences(item, resolve));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        mapReferences(item, resolve),
      ]),
    );
  return value;
}

function asReference(value: unknown): OutputReference | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { $task, $identity, $path } = value as Record<string, unknown>;
  if (typeof $task !== "string" || typeof $identity !== "string") return undefined;
  return { task: $task, identity: $identity, ...(typeof $path === "string" ? { path: $path } : {}) };
}
