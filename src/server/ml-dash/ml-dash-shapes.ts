import type { RunQuery, Store, StoredFile, StoredRun } from "../../store/store.js";
import { nodeId } from "./ml-dash-ids.js";

/** A run's prefix cut the way ML-Dash names it: namespace, project, folders, experiment name. */
export function splitRun(run: StoredRun): { namespace: string; project: string; folders: string[] } {
  const segments = run.prefix.split("/");
  return { namespace: segments[0]!, project: segments[1]!, folders: segments.slice(2, -1) };
}

/** The id of the project a run belongs to. */
export function projectIdOf(run: StoredRun): string {
  const { namespace, project } = splitRun(run);
  return nodeId({ kind: "project", namespace, project });
}

/** A project as ML-Dash reads it (`project { id slug name namespace { slug } }`). */
export function projectShape(namespace: string, project: string) {
  return {
    id: nodeId({ kind: "project", namespace, project }),
    slug: project,
    name: project,
    namespace: { id: namespace, slug: namespace },
  };
}

/** An experiment as ML-Dash reads it (REST node answers and GraphQL `Experiment`). */
export function experimentShape(run: StoredRun) {
  const { namespace, project } = splitRun(run);
  return {
    id: run.id,
    name: run.name,
    description: run.description ?? null,
    tags: run.tags,
    bindrs: run.bindrs,
    status: run.status,
    metadata: run.metadata,
    projectId: nodeId({ kind: "project", namespace, project }),
    project: projectShape(namespace, project),
    startedAt: run.createdAt,
    endedAt: run.endedAt ?? null,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
}

/** The EXPERIMENT node of a run. */
export function experimentNodeShape(run: StoredRun) {
  const { namespace, project, folders } = splitRun(run);
  return {
    id: run.id,
    type: "EXPERIMENT",
    name: run.name,
    experimentId: run.id,
    projectId: nodeId({ kind: "project", namespace, project }),
    parentId:
      folders.length > 0 ? nodeId({ kind: "folder", namespace, project, path: folders.join("/") }) : null,
    pPath: run.prefix.split("/").slice(2).join("/"),
    status: run.status,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
}

/** A file's path inside its run, as ML-Dash's search answers it: `models/model.pt`. */
export function filePath(file: StoredFile): string {
  return file.prefix ? `${file.prefix}/${file.filename}` : file.filename;
}

/** The FILE node of a stored file, with its `physicalFile` (what `get_file` and `list_files` read). */
export function fileNodeShape(run: StoredRun, file: StoredFile) {
  const id = nodeId({ kind: "file", runId: run.id, fileId: file.id });
  return {
    id,
    type: "FILE",
    name: file.filename,
    experimentId: run.id,
    projectId: projectIdOf(run),
    description: null,
    tags: [],
    metadata: null,
    pPath: filePath(file),
    path: file.prefix,
    createdAt: file.createdAt,
    updatedAt: file.createdAt,
    deletedAt: null,
    physicalFile: {
      id,
      filename: file.filename,
      contentType: file.contentType ?? "application/octet-stream",
      sizeBytes: file.size,
      checksum: file.sha256,
      s3Url: null,
    },
  };
}

/** Every live run matching `query` (under a prefix, of a project, with a status), page by page. */
export async function runsUnder(
  store: Store,
  prefix: string | undefined,
  query: Omit<RunQuery, "prefix" | "limit" | "cursor" | "sort"> = {},
): Promise<StoredRun[]> {
  const runs: StoredRun[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.searchRuns({
      ...query,
      ...(prefix ? { prefix } : {}),
      limit: 1000,
      sort: "prefix",
      order: "asc",
      ...(cursor ? { cursor } : {}),
    });
    runs.push(...page.runs);
    cursor = page.nextCursor;
  } while (cursor);
  return runs;
}
