import type { Hono } from "hono";
import { Readable } from "node:stream";
import { BadRequestError, StoredFileNotFoundError } from "../../errors.js";
import type { StoredFile } from "../../store/store.js";
import { checkFileName, normaliseFileFolder } from "../../format/names.js";
import type { ServerEnv } from "../auth.js";
import { loadRun, sendJson, type ServerContext } from "../context.js";
import { readQuery } from "../query.js";
import { fileListQuerySchema, fileUploadQuerySchema } from "../schemas.js";

/** A file folder as stored: `models/best`, or "" for the run's top level (no leading or trailing "/"). */
export function storedFolder(prefix: string | undefined): string {
  return normaliseFileFolder(prefix).slice(1);
}

const sha256Pattern = /^[0-9a-fA-F]{64}$/;

/** Streams bytes in (size limit, SHA-256) and out. */
export function fileRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store } = ctx;

  app.put("/api/runs/:runId/files", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const query = readQuery(c, fileUploadQuerySchema);
    const prefix = storedFolder(query.prefix);
    const filename = checkFileName(query.filename);
    const expected = c.req.header("x-labrun-sha256");
    if (expected !== undefined && !sha256Pattern.test(expected)) {
      throw new BadRequestError("X-Labrun-Sha256 must be 64 hexadecimal digits (the SHA-256 of the body).");
    }
    const file = await storeUpload(ctx, run.id, c.req.raw, {
      prefix,
      filename,
      contentType: c.req.header("content-type") ?? "application/octet-stream",
      ...(expected !== undefined ? { expectedSha256: expected } : {}),
    });
    return sendJson({ file });
  });

  app.get("/api/runs/:runId/files", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const query = readQuery(c, fileListQuerySchema);
    const prefix = query.prefix === undefined ? undefined : storedFolder(query.prefix);
    return sendJson({ files: await store.listFiles(run.id, prefix) });
  });

  app.get("/api/runs/:runId/files/:fileId", async (c) => {
    const run = await loadRun(c, store, c.req.param("runId"));
    const fileId = c.req.param("fileId");
    const file = fileId.length <= 200 ? await store.getFile(run.id, fileId) : undefined;
    if (!file) throw new StoredFileNotFoundError(run.id, fileId);
    return downloadResponse(ctx, file, c.req.header("if-none-match"), { redirect: true });
  });
}

/** Streams a request body into FileStorage, then records it; nothing is recorded if the upload fails. */
export async function storeUpload(
  ctx: ServerContext,
  runId: string,
  request: Request,
  file: { prefix: string; filename: string; contentType: string; expectedSha256?: string },
): Promise<StoredFile> {
  const key = ctx.files.newKey();
  const blob = await ctx.files.put(key, request.body, {
    limitBytes: ctx.limits.fileBytes,
    ...(file.expectedSha256 !== undefined ? { expectedSha256: file.expectedSha256 } : {}),
  });
  // The store replaces a record with the same folder and name (ML-Dash's rule): drop the old bytes after.
  const previous = (await ctx.store.listFiles(runId, file.prefix)).find(
    (old) => old.prefix === file.prefix && old.filename === file.filename,
  );
  let stored: StoredFile;
  try {
    stored = await ctx.store.addFile(runId, {
      prefix: file.prefix,
      filename: file.filename,
      size: blob.size,
      sha256: blob.sha256,
      contentType: file.contentType,
      storageKey: key,
    });
  } catch (error) {
    await ctx.files.delete(key).catch(() => undefined);
    throw error;
  }
  if (previous && previous.storageKey !== key)
    await ctx.files.delete(previous.storageKey).catch(() => undefined);
  return stored;
}

/**
 * The bytes of a stored file, with its type, length and SHA-256 as ETag; with `redirect`, a 302 to the file
 * storage's presigned URL when it gives one (only labrun's own route: ML-Dash's client does not follow redirects).
 */
export async function downloadResponse(
  ctx: ServerContext,
  file: StoredFile,
  ifNoneMatch?: string,
  options: { readonly redirect?: boolean } = {},
): Promise<Response> {
  const etag = `"${file.sha256}"`;
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers: { etag } });
  const safeName = file.filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const contentType = file.contentType ?? "application/octet-stream";
  const contentDisposition = `attachment; filename="${safeName}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`;
  // An object store's presigned URL: the client fetches the bytes there, they never pass through here.
  const url =
    options.redirect !== true
      ? undefined
      : await ctx.files.downloadUrl?.(file.storageKey, { contentType, contentDisposition });
  if (url !== undefined) return new Response(null, { status: 302, headers: { location: url, etag } });
  const blob = await ctx.files.get(file.storageKey);
  if (!blob)
    throw new StoredFileNotFoundError(file.id, "(its bytes are missing from the server's file storage)");
  return new Response(Readable.toWeb(blob.stream) as ReadableStream, {
    headers: {
      "content-type": contentType,
      "content-length": String(blob.size),
      etag,
      "content-disposition": contentDisposition,
    },
  });
}
