import { BadRequestError } from "../../errors.js";

/**
 * ML-Dash names everything by node ids (projects, folders, experiments, files). labrun keeps no nodes:
 * an id here encodes what it names, so any replica answers it without a table of its own. Experiments are
 * labrun runs and use the run's id; the others are `kind~` + base64url of their JSON parts.
 */
export type NodeRef =
  | { readonly kind: "project"; readonly namespace: string; readonly project: string }
  /** A folder of runs (`ns/project/a/b`), or with `runId` a folder of one run's files. */
  | {
      readonly kind: "folder";
      readonly namespace: string;
      readonly project: string;
      readonly path: string;
      readonly runId?: string;
    }
  | { readonly kind: "file"; readonly runId: string; readonly fileId: string }
  | { readonly kind: "experiment"; readonly runId: string };

const encode = (parts: readonly string[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");

/** The node id of `ref`. */
export function nodeId(ref: NodeRef): string {
  switch (ref.kind) {
    case "project":
      return `proj~${encode([ref.namespace, ref.project])}`;
    case "folder":
      return `dir~${encode([ref.namespace, ref.project, ref.path, ...(ref.runId ? [ref.runId] : [])])}`;
    case "file":
      return `file~${encode([ref.runId, ref.fileId])}`;
    case "experiment":
      return ref.runId;
  }
}

/** What a node id names; a malformed encoded id is a 400. */
export function parseNodeId(id: string): NodeRef {
  const tilde = id.indexOf("~");
  if (tilde < 0) return { kind: "experiment", runId: id };
  const kind = id.slice(0, tilde);
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(id.slice(tilde + 1), "base64url").toString("utf8"));
  } catch {
    parts = undefined;
  }
  const strings =
    Array.isArray(parts) && parts.every((part) => typeof part === "string") ? (parts as string[]) : [];
  const [a, b, c, d] = strings;
  if (kind === "proj" && strings.length === 2) return { kind: "project", namespace: a!, project: b! };
  if (kind === "dir" && (strings.length === 3 || strings.length === 4))
    return { kind: "folder", namespace: a!, project: b!, path: c!, ...(d ? { runId: d } : {}) };
  if (kind === "file" && strings.length === 2) return { kind: "file", runId: a!, fileId: b! };
  throw new BadRequestError(
    `"${id.slice(0, 100)}" is not a node id of this server. Use the ids it returned.`,
  );
}

/** The project named by a project id (`proj~…`). */
export function parseProjectId(id: string): { namespace: string; project: string } {
  const ref = parseNodeId(id);
  if (ref.kind !== "project")
    throw new BadRequestError(`"${id.slice(0, 100)}" is not a project id: use the id of a PROJECT node.`);
  return ref;
}
