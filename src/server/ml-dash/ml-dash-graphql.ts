import type { Hono } from "hono";
import { graphql } from "graphql";
import { BadRequestError } from "../../errors.js";
import type { RunStatus, Store, StoredRun } from "../../store/store.js";
import { globMatch } from "./glob-match.js";
import { checkProject, type Principal, type ServerEnv } from "../auth.js";
import { readBodyBytes, decodeUtf8, parseJsonText } from "../body.js";
import { sendJson, type ServerContext } from "../context.js";
import { nodeId, parseNodeId, parseProjectId } from "./ml-dash-ids.js";
import { mlDashSchema } from "./ml-dash-schema.js";
import {
  experimentNodeShape,
  experimentShape,
  fileNodeShape,
  projectShape,
  runsUnder,
  splitRun,
} from "./ml-dash-shapes.js";

interface Context {
  readonly store: Store;
  readonly principal: Principal;
}

interface TreeNode {
  id: string;
  name: string;
  type: "FOLDER" | "EXPERIMENT";
  pPath: string;
  experimentId: string | null;
  parentId: string | null;
  children: TreeNode[];
}

/** The run of an experiment id the caller may read, or null (GraphQL answers null for a missing one). */
async function readableRun(ctx: Context, id: string): Promise<StoredRun | null> {
  const ref = parseNodeId(id);
  if (ref.kind !== "experiment" || ref.runId.length > 200) return null;
  const run = await ctx.store.getRun(ref.runId);
  if (!run || run.deleted) return null;
  checkProject(ctx.principal, run.project);
  return run;
}

/** Folders and experiments of a project, as nested nodes (the roots are returned). */
function projectTree(namespace: string, project: string, runs: readonly StoredRun[]): TreeNode[] {
  const roots: TreeNode[] = [];
  const folders = new Map<string, TreeNode>();
  const childrenOf = (path: string) => (path === "" ? roots : folders.get(path)!.children);
  for (const run of runs) {
    const { folders: parts } = splitRun(run);
    let path = "";
    for (const part of parts) {
      const next = path ? `${path}/${part}` : part;
      if (!folders.has(next)) {
        const folder: TreeNode = {
          id: nodeId({ kind: "folder", namespace, project, path: next }),
          name: part,
          type: "FOLDER",
          pPath: next,
          experimentId: null,
          parentId: path ? folders.get(path)!.id : null,
          children: [],
        };
        childrenOf(path).push(folder);
        folders.set(next, folder);
      }
      path = next;
    }
    const node = experimentNodeShape(run);
    childrenOf(path).push({ ...node, type: "EXPERIMENT", experimentId: run.id, children: [] });
  }
  return roots;
}

function projectValue(ctx: Context, namespace: string, project: string) {
  return {
    ...projectShape(namespace, project),
    description: null,
    tags: [],
    experimentCount: async () => (await runsUnder(ctx.store, `${namespace}/${project}`)).length,
    nodes: async () => {
      checkProject(ctx.principal, project);
      return projectTree(namespace, project, await runsUnder(ctx.store, `${namespace}/${project}`));
    },
  };
}

function experimentValue(ctx: Context, run: StoredRun) {
  const { namespace, project } = splitRun(run);
  return {
    ...experimentShape(run),
    project: projectValue(ctx, namespace, project),
    filesPaginated: async ({ limit, offset }: { limit: number; offset: number }) => {
      const files = await ctx.store.listFiles(run.id);
      const page = files.slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit));
      return {
        files: page.map((file) => fileNodeShape(run, file)),
        totalCount: files.length,
        hasMore: offset + page.length < files.length,
      };
    },
    files: async () => (await ctx.store.listFiles(run.id)).map((file) => fileNodeShape(run, file)),
    metrics: async () =>
      (await ctx.store.listMetricStreams(run.id))
        .filter((s) => !s.stream.startsWith("track."))
        .map((s) => ({ name: s.stream === "" ? "None" : s.stream })),
    trackCount: async () =>
      (await ctx.store.listMetricStreams(run.id)).filter((s) => s.stream.startsWith("track.")).length,
    parameters: async () => ({ id: run.id, data: await ctx.store.getParams(run.id) }),
    displayPath: run.prefix,
  };
}

/** The runs of `runs` the caller may read. */
function readable(ctx: Context, runs: readonly StoredRun[]): StoredRun[] {
  return runs.filter((run) => ctx.principal.project === "*" || ctx.principal.project === run.project);
}

function page<T>(items: readonly T[], limit: number, offset: number) {
  const start = Math.max(0, offset);
  const slice = items.slice(start, start + Math.max(0, limit));
  return { slice, totalCount: items.length, hasMore: start + slice.length < items.length };
}

type PageArgs = { limit: number; offset: number };

/** ML-Dash's listing queries (its `list_projects_graphql`, `list_experiments_graphql`, …). */
const lists = {
  experiment: async (
    args: { namespaceSlug?: string | null; projectSlug: string; experimentName: string },
    ctx: Context,
  ) => {
    checkProject(ctx.principal, args.projectSlug);
    const runs = args.namespaceSlug
      ? await runsUnder(ctx.store, `${args.namespaceSlug}/${args.projectSlug}`)
      : await runsUnder(ctx.store, undefined, { project: args.projectSlug });
    const run = runs.find((r) => r.name === args.experimentName);
    return run ? experimentValue(ctx, run) : null;
  },
  projectsPaginated: async (args: PageArgs & { namespaceSlug?: string | null }, ctx: Context) => {
    const runs = readable(ctx, await runsUnder(ctx.store, args.namespaceSlug ?? undefined));
    const keys = [...new Set(runs.map((run) => `${run.owner}/${run.project}`))];
    const { slice, ...rest } = page(keys, args.limit, args.offset);
    return {
      projects: slice.map((key) => projectValue(ctx, key.split("/")[0]!, key.split("/")[1]!)),
      ...rest,
    };
  },
  experimentsPaginated: async (
    args: PageArgs & { namespaceSlug?: string | null; projectSlug: string; status?: RunStatus | null },
    ctx: Context,
  ) => {
    checkProject(ctx.principal, args.projectSlug);
    const query = { project: args.projectSlug, ...(args.status ? { status: args.status } : {}) };
    const prefix = args.namespaceSlug ? `${args.namespaceSlug}/${args.projectSlug}` : undefined;
    const { slice, ...rest } = page(await runsUnder(ctx.store, prefix, query), args.limit, args.offset);
    return { experiments: slice.map((run) => experimentValue(ctx, run)), ...rest };
  },
  searchExperimentsPaginated: async (args: PageArgs & { pattern: string }, ctx: Context) => {
    if (args.pattern.length > 1000) throw new BadRequestError("The pattern is longer than 1000 characters.");
    const runs = readable(ctx, await runsUnder(ctx.store, undefined)).filter(
      (run) =>
        globMatch(args.pattern, `${run.owner}/${run.project}/${run.name}`) ||
        globMatch(args.pattern, run.prefix),
    );
    const { slice, ...rest } = page(runs, args.limit, args.offset);
    return { experiments: slice.map((run) => experimentValue(ctx, run)), ...rest };
  },
};

const root = {
  ...lists,
  me: (_args: unknown, ctx: Context) => ({
    id: ctx.principal.id,
    username: null,
    email: null,
    name: `labrun token ${ctx.principal.id}`,
    given_name: null,
    family_name: null,
    picture: null,
  }),
  namespace: async ({ slug }: { slug: string }, ctx: Context) => {
    const projects = new Set<string>();
    for (const run of await runsUnder(ctx.store, slug)) {
      if (ctx.principal.project === "*" || ctx.principal.project === run.project) projects.add(run.project);
    }
    return { id: slug, slug, projects: [...projects].map((project) => projectValue(ctx, slug, project)) };
  },
  project: (args: { id?: string; namespaceSlug?: string; projectSlug?: string }, ctx: Context) => {
    if (args.id) {
      const { namespace, project } = parseProjectId(args.id);
      return projectValue(ctx, namespace, project);
    }
    if (args.namespaceSlug && args.projectSlug)
      return projectValue(ctx, args.namespaceSlug, args.projectSlug);
    throw new BadRequestError("project needs either id, or namespaceSlug and projectSlug.");
  },
  experimentById: async ({ id }: { id: string }, ctx: Context) => {
    const run = await readableRun(ctx, id);
    return run ? experimentValue(ctx, run) : null;
  },
  experimentNode: async ({ experimentId }: { experimentId: string }, ctx: Context) => {
    const run = await readableRun(ctx, experimentId);
    return run ? { ...experimentNodeShape(run), children: [] } : null;
  },
};

/** `POST /graphql`: ML-Dash's queries, answered by graphql-js over the Store. */
export function mlDashGraphqlRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  app.post("/graphql", async (c) => {
    const text = decodeUtf8(await readBodyBytes(c.req.raw, ctx.limits.jsonBodyBytes));
    const body = parseJsonText(text, ctx.limits.jsonDepth) as {
      query?: unknown;
      variables?: unknown;
      operationName?: unknown;
    };
    if (typeof body !== "object" || body === null || typeof body.query !== "string") {
      return sendJson(
        { errors: [{ message: 'The body must be {"query": "...", "variables": {...}}.' }] },
        400,
      );
    }
    const variables =
      typeof body.variables === "object" && body.variables !== null && !Array.isArray(body.variables)
        ? (body.variables as Record<string, unknown>)
        : undefined;
    const result = await graphql({
      schema: mlDashSchema,
      source: body.query,
      rootValue: root,
      contextValue: { store: ctx.store, principal: c.get("principal") } satisfies Context,
      ...(variables ? { variableValues: variables } : {}),
      ...(typeof body.operationName === "string" ? { operationName: body.operationName } : {}),
    });
    return sendJson(result);
  });
}
