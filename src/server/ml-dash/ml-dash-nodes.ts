import type { Context, Hono } from "hono";
import { z } from "zod";
import { BadRequestError, PayloadTooLargeError, StoredFileNotFoundError } from "../../errors.js";
import type { StoredRun } from "../../store/store.js";
import { checkFileName, parsePrefix } from "../../format/names.js";
import { checkProject, type ServerEnv } from "../auth.js";
import { readJson, validate } from "../body.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { downloadResponse, storedFolder, storeUpload } from "../routes/files.js";
import { nodeId, parseNodeId, parseProjectId, type NodeRef } from "./ml-dash-ids.js";
import { globMatch } from "./glob-match.js";
import {
  experimentNodeShape,
  experimentShape,
  fileNodeShape,
  filePath,
  projectShape,
} from "./ml-dash-shapes.js";

const jsonNodeSchema = z.object({
  type: z.enum(["PROJECT", "FOLDER", "EXPERIMENT"]),
  name: z.string().min(1),
  slug: z.string().optional(),
  projectId: z.string().optional(),
  projectSlug: z.string().optional(),
  parentId: z.string().nullable().optional(),
  experimentId: z.string().optional(),
  description: z.string().nullable().optional(),
  tags: z.array(z.string()).nullable().optional(),
  bindrs: z.array(z.string()).nullable().optional(),
  writeProtected: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});
type JsonNode = z.infer<typeof jsonNodeSchema>;

const fileFormSchema = z.object({
  type: z.literal("FILE"),
  name: z.string().min(1),
  experimentId: z.string().min(1),
  parentId: z.string().optional(),
  projectId: z.string().optional(),
  checksum: z.string().optional(),
});

const statusPatchSchema = z.object({ status: z.enum(["RUNNING", "COMPLETED", "FAILED", "CANCELLED"]) });

const searchQuerySchema = z.object({
  pattern: z.string().max(1000),
  experimentId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
});

/** The project (namespace, slug) a JSON node request names, by id or by slug. */
function projectOf(ns: string, body: JsonNode): { namespace: string; project: string } {
  if (body.projectId) return parseProjectId(body.projectId);
  const project = body.projectSlug ?? (body.type === "PROJECT" ? (body.slug ?? body.name) : undefined);
  if (!project) throw new BadRequestError(`A ${body.type} node needs projectId or projectSlug.`);
  return { namespace: ns, project };
}

/** Folder path (`a/b`) of a project-level parent: ROOT/null is the project's top. */
function runFolderOf(parentId: string | null | undefined, namespace: string, project: string): string {
  if (!parentId || parentId === "ROOT") return "";
  const ref = parseNodeId(parentId);
  if (ref.kind === "folder" && !ref.runId && ref.namespace === namespace && ref.project === project)
    return ref.path;
  throw new BadRequestError(`parentId ${parentId.slice(0, 100)} is not a folder of project ${project}.`);
}

/** File folder (`models/best`) inside `run` that a parent id names: the experiment node is its top. */
function fileFolderOf(parentId: string | null | undefined, run: StoredRun): string {
  if (!parentId || parentId === "ROOT" || parentId === run.id) return "";
  const ref = parseNodeId(parentId);
  if (ref.kind === "folder" && ref.runId === run.id) return ref.path;
  throw new BadRequestError(`parentId ${parentId.slice(0, 100)} is not a folder of experiment ${run.id}.`);
}

async function createJsonNode(c: Context<ServerEnv>, ctx: ServerContext, ns: string, body: JsonNode) {
  const principal = c.get("principal");
  if (body.type === "FOLDER" && body.experimentId) {
    const run = await loadRun(c, ctx.store, body.experimentId);
    const parent = fileFolderOf(body.parentId, run);
    const path = storedFolder(parent ? `${parent}/${body.name}` : body.name);
    const id = nodeId({ kind: "folder", namespace: run.owner, project: run.project, path, runId: run.id });
    return {
      node: { id, type: "FOLDER", name: body.name, experimentId: run.id, parentId: body.parentId ?? null },
    };
  }
  const { namespace, project } = projectOf(ns, body);
  checkProject(principal, project);
  if (body.type === "PROJECT") {
    const shape = projectShape(namespace, project);
    return { project: shape, node: { id: shape.id, type: "PROJECT", name: project } };
  }
  const folder = runFolderOf(body.parentId, namespace, project);
  if (body.type === "FOLDER") {
    const path = folder ? `${folder}/${body.name}` : body.name;
    parsePrefix(`${namespace}/${project}/${path}`);
    const id = nodeId({ kind: "folder", namespace, project, path });
    return { node: { id, type: "FOLDER", name: body.name, parentId: body.parentId ?? null, pPath: path } };
  }
  const prefix = [namespace, project, ...(folder ? [folder] : []), body.name].join("/");
  let run = await ctx.store.upsertRun({
    prefix,
    ...(body.description != null ? { description: body.description } : {}),
    ...(body.tags != null ? { tags: body.tags } : {}),
    ...(body.bindrs != null ? { bindrs: body.bindrs } : {}),
    ...(body.metadata != null ? { metadata: body.metadata as Record<string, never> } : {}),
  });
  // Reopening a prefix resumes the experiment (ML-Dash's upsert): it is running again.
  if (run.status !== "RUNNING") run = await ctx.store.updateRun(run.id, { status: { status: "RUNNING" } });
  publishStatus(ctx, run);
  return {
    experiment: experimentShape(run),
    node: experimentNodeShape(run),
    project: projectShape(namespace, project),
  };
}

function publishStatus(ctx: ServerContext, run: StoredRun): void {
  if (ctx.events.hasListeners(run.id)) ctx.events.publish(run.id, { type: "status", data: { run } });
}

/** The run and file a FILE node id names, after the project check. */
async function loadFile(c: Context<ServerEnv>, ctx: ServerContext, ref: NodeRef & { kind: "file" }) {
  const run = await loadRun(c, ctx.store, ref.runId);
  const file = ref.fileId.length <= 200 ? await ctx.store.getFile(run.id, ref.fileId) : undefined;
  if (!file) throw new StoredFileNotFoundError(run.id, ref.fileId);
  return { run, file };
}

/** ML-Dash's node API: projects, folders, experiments and files, mapped onto labrun runs. */
export function mlDashNodeRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store, limits } = ctx;

  app.post("/api/namespaces/:ns/nodes", async (c) => {
    const ns = c.req.param("ns");
    if (!(c.req.header("content-type") ?? "").startsWith("multipart/form-data")) {
      return sendJson(await createJsonNode(c, ctx, ns, await readJson(c.req.raw, jsonNodeSchema, limits)));
    }
    const declared = Number(c.req.header("content-length") ?? "");
    if (Number.isFinite(declared) && declared > limits.fileBytes + 1024 * 1024)
      throw new PayloadTooLargeError("The upload", limits.fileBytes);
    const form = await c.req.raw.formData();
    const upload = form.get("file");
    const fields = validate(
      fileFormSchema,
      Object.fromEntries([...form].filter(([k]) => k !== "file")),
      "form",
    );
    if (!(upload instanceof Blob))
      throw new BadRequestError('A FILE node needs its bytes in the form field "file".');
    const run = await loadRun(c, store, fields.experimentId);
    const checksum = fields.checksum && /^[0-9a-f]{64}$/i.test(fields.checksum) ? fields.checksum : undefined;
    const file = await storeUpload(
      ctx,
      run.id,
      new Request("http://upload/", { method: "PUT", body: upload }),
      {
        prefix: fileFolderOf(fields.parentId, run),
        filename: checkFileName(fields.name),
        contentType: upload.type || "application/octet-stream",
        ...(checksum ? { expectedSha256: checksum.toLowerCase() } : {}),
      },
    );
    const node = fileNodeShape(run, file);
    return sendJson({ node, physicalFile: node.physicalFile });
  });

  app.get("/api/nodes/:id", async (c) => {
    const ref = parseNodeId(c.req.param("id"));
    if (ref.kind === "file") {
      const { run, file } = await loadFile(c, ctx, ref);
      return sendJson(fileNodeShape(run, file));
    }
    if (ref.kind === "experiment") return sendJson(experimentNodeShape(await loadRun(c, store, ref.runId)));
    throw new BadRequestError("Only FILE and EXPERIMENT nodes can be read here.");
  });

  app.get("/api/nodes/:id/download", async (c) => {
    const ref = parseNodeId(c.req.param("id"));
    if (ref.kind !== "file") throw new BadRequestError("Only FILE nodes can be downloaded.");
    const { file } = await loadFile(c, ctx, ref);
    return downloadResponse(ctx, file, c.req.header("if-none-match"));
  });

  app.patch("/api/nodes/:id", async (c) => {
    const ref = parseNodeId(c.req.param("id"));
    if (ref.kind !== "experiment")
      throw new BadRequestError(
        "labrun changes only the status of EXPERIMENT nodes (file metadata is fixed).",
      );
    const current = await loadRun(c, store, ref.runId);
    const { status } = await readJson(c.req.raw, statusPatchSchema, limits);
    const run = await store.updateRun(current.id, { status: { status } });
    publishStatus(ctx, run);
    return sendJson({ node: experimentNodeShape(run), experiment: experimentShape(run) });
  });

  app.get("/api/search/files", async (c) => {
    const query = validate(searchQuerySchema, c.req.query(), "query");
    if (!query.experimentId)
      throw new BadRequestError("labrun searches files of one experiment: give experimentId.");
    const run = await loadRun(c, store, query.experimentId);
    const matches = (await store.listFiles(run.id)).filter((file) => {
      const path = filePath(file);
      return globMatch(query.pattern, path) || globMatch(query.pattern, file.filename);
    });
    const page = matches.slice(query.offset, query.offset + query.limit);
    return sendJson({
      files: page.map((file) => ({ ...fileNodeShape(run, file), path: filePath(file) })),
      total: matches.length,
    });
  });
}
