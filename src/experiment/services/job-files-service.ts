import { createReadStream } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, isAbsolute, join, relative, resolve } from "node:path";
import type { JobStatus } from "../status-report.js";
import { answerClientErrors, maxHeaderBytes } from "../../util/http-limits.js";
import { checkHost, requestPolicy, type RequestPolicy } from "../../util/request-policy.js";
import { WebService } from "./web-service.js";
import {
  directoryPage,
  fileHref,
  indexPage,
  messagePage,
  previewPage,
  rawContentType,
} from "./job-files-pages.js";
import type { EntryRow } from "./job-files-pages.js";

export interface JobFilesServiceOptions {
  /** Default `job-files`. */
  readonly id?: string;
  /** The address to listen on; default `127.0.0.1` (this machine only). */
  readonly host?: string;
  /** Default 0: a free port chosen by the system. */
  readonly port?: number;
  /** How much of a text file its page shows; default 1 MiB (the raw file and the download are whole). */
  readonly previewBytes?: number;
  /** Host names to answer to besides localhost, 127.0.0.1, [::1] and `host` (`*`: any); DNS rebinding guard. */
  readonly allowedHosts?: readonly string[];
}

/** What the service reads from the experiment: its id and its jobs with their directories. */
export interface JobFilesSource {
  readonly id: string;
  readonly jobs: readonly Pick<JobStatus, "index" | "name" | "state" | "directory">[];
}

const binaryExtensions = new Set([
  ".png",
  ".jpg",
  ".jpeg",
  ".gif",
  ".webp",
  ".pdf",
  ".gz",
  ".zip",
  ".pt",
  ".npy",
]);
const sniffBytes = 8192;

/**
 * A web page to browse the files of an experiment's jobs (their directories: logs, job.json, outputs):
 * directory listings, a preview of text files, raw files and downloads. Read-only; listens on 127.0.0.1
 * and a free port by default; paths that leave a job's directory (`..`, symbolic links) are refused.
 * `?format=json` (or `Accept: application/json`) gives the listings as JSON.
 *
 * @example
 * export function run(helper: ExperimentHelper, cfg: Configuration) {
 *   helper.addService(new JobFilesService(helper.experiment)); // its URL is printed and in `status`
 *   …
 * }
 */
export class JobFilesService extends WebService {
  readonly id: string;
  readonly options: Readonly<Required<Omit<JobFilesServiceOptions, "id" | "allowedHosts">>>;
  readonly #policy: RequestPolicy;
  readonly #source: JobFilesSource;
  #server: Server | undefined;

  constructor(experiment: JobFilesSource, options: JobFilesServiceOptions = {}) {
    super();
    this.id = options.id ?? "job-files";
    this.#source = experiment;
    this.options = Object.freeze({
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      previewBytes: options.previewBytes ?? 1024 * 1024,
    });
    this.#policy = requestPolicy(this.options.host, options.allowedHosts);
  }

  override description(): string {
    return `Files of the jobs of ${this.#source.id}`;
  }

  protected async serve(): Promise<string> {
    const server = createServer({ maxHeaderSize: maxHeaderBytes }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(req, res, 500, `Internal error: ${(error as Error).message}`);
        else res.destroy();
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", fail);
        ok();
      });
    });
    answerClientErrors(server);
    // A server that fails later (it should not) ends the service rather than the experiment.
    server.on("error", () => {
      if (this.state === "RUNNING") this.markStopped();
    });
    this.#server = server;
    const { address, port } = server.address() as AddressInfo;
    return `http://${address.includes(":") ? `[${address}]` : address}:${port}/`;
  }

  protected async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      checkHost(this.#policy, req.headers.host);
    } catch (error) {
      return send(req, res, 403, (error as Error).message, "HOST_NOT_ALLOWED");
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(req, res, 405, "Only GET and HEAD are served.");
    }
    const target = req.url ?? "/";
    const queryAt = target.indexOf("?");
    const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? "" : target.slice(queryAt + 1));
    if (rawPath === "/" || rawPath === "") return this.#index(req, res);
    const rawSegments = rawPath.split("/").slice(1);
    if (rawSegments[0] !== "jobs" || !rawSegments[1]) return send(req, res, 404, `No page ${rawPath}.`);
    let segments: string[];
    try {
      segments = rawSegments.slice(1).map((segment) => decodeURIComponent(segment));
    } catch {
      return send(req, res, 400, `${rawPath} is not a valid URL path.`);
    }
    // Checked on the decoded segments, so that %2e%2e and %2f cannot climb out either.
    if (segments.some((s) => s === ".." || s === "." || /[/\\\0]/.test(s)))
      return send(req, res, 403, "Path traversal refused: paths stay inside a job's directory.");
    const [jobName, ...rest] = segments as [string, ...string[]];
    const job = this.#source.jobs.find((each) => each.name === jobName);
    if (!job) return send(req, res, 404, `No job named "${jobName}" in ${this.#source.id}.`);
    if (!job.directory) return send(req, res, 404, `Job "${jobName}" is not launched yet.`);
    const relPath = rest.filter(Boolean).join("/");
    const root = await realpath(job.directory).catch(() => undefined);
    if (!root) return send(req, res, 404, `The directory of job "${jobName}" does not exist yet.`);
    const file = await realpath(join(root, relPath)).catch(() => undefined);
    if (!file) return send(req, res, 404, `No file ${relPath} in job "${jobName}".`);
    if (!isInside(root, file))
      return send(req, res, 403, "Path traversal refused: this link points outside the job's directory.");
    const info = await stat(file);
    const wantsDirectory = rawPath.endsWith("/");
    if (info.isDirectory()) {
      if (!wantsDirectory) return redirect(res, `${rawPath}/${queryAt < 0 ? "" : target.slice(queryAt)}`);
      return this.#directory(req, res, jobName, relPath, file);
    }
    if (!info.isFile()) return send(req, res, 403, `${relPath} is not a regular file.`);
    if (wantsDirectory) return redirect(res, rawPath.replace(/\/+$/, ""));
    return this.#file(req, res, { job: jobName, relPath, file, size: info.size, query });
  }

  #index(req: IncomingMessage, res: ServerResponse): void {
    const jobs = this.#source.jobs.map((job) => ({
      index: job.index,
      name: job.name,
      state: job.state,
      ...(job.directory ? { href: fileHref(job.name, "", true) } : {}),
    }));
    if (wantsJson(req)) return json(req, res, { experiment: this.#source.id, jobs });
    html(req, res, indexPage(this.#source.id, jobs));
  }

  async #directory(
    req: IncomingMessage,
    res: ServerResponse,
    job: string,
    relPath: string,
    dir: string,
  ): Promise<void> {
    const dirents = await readdir(dir, { withFileTypes: true });
    const entries: EntryRow[] = [];
    for (const dirent of dirents) {
      const info = await stat(join(dir, dirent.name)).catch(() => undefined);
      const type = info?.isDirectory() ? "directory" : info?.isFile() ? "file" : "other";
      entries.push({
        name: dirent.name,
        type,
        size: info?.size ?? 0,
        modified: info ? info.mtime.toISOString() : "",
        href: fileHref(job, relPath ? `${relPath}/${dirent.name}` : dirent.name, type === "directory"),
      });
    }
    entries.sort((a, b) =>
      a.type === b.type ? a.name.localeCompare(b.name) : a.type === "directory" ? -1 : 1,
    );
    if (wantsJson(req)) return json(req, res, { job, path: relPath, entries });
    html(req, res, directoryPage(job, relPath, entries));
  }

  async #file(
    req: IncomingMessage,
    res: ServerResponse,
    f: { job: string; relPath: string; file: string; size: number; query: URLSearchParams },
  ): Promise<void> {
    const extension = extname(f.file);
    const head = await readStart(f.file, Math.max(sniffBytes, this.options.previewBytes));
    const isText =
      !binaryExtensions.has(extension.toLowerCase()) && !head.subarray(0, sniffBytes).includes(0);
    const download = f.query.has("download");
    if (isText && !download && !f.query.has("raw")) {
      const shown = head.subarray(0, this.options.previewBytes);
      const text = new TextDecoder().decode(shown);
      return html(
        req,
        res,
        previewPage(f.job, f.relPath, text, { size: f.size, truncated: f.size > shown.length }),
      );
    }
    res.statusCode = 200;
    res.setHeader("Content-Type", download ? "application/octet-stream" : rawContentType(extension, isText));
    res.setHeader("Content-Length", f.size);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Security-Policy", "sandbox");
    if (download) res.setHeader("Content-Disposition", attachment(f.relPath.split("/").at(-1) ?? "file"));
    if (req.method === "HEAD") return void res.end();
    await new Promise<void>((done, fail) => {
      const stream = createReadStream(f.file);
      stream.once("error", fail);
      res.once("close", () => {
        stream.destroy();
        done();
      });
      stream.pipe(res);
    });
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel) && resolve(root, rel) === path);
}

async function readStart(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function wantsJson(req: IncomingMessage): boolean {
  const query = (req.url ?? "").split("?")[1] ?? "";
  return (
    new URLSearchParams(query).get("format") === "json" ||
    (req.headers.accept ?? "").includes("application/json")
  );
}

function html(req: IncomingMessage, res: ServerResponse, body: string, status = 200): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Cache-Control", "no-store");
  res.end(req.method === "HEAD" ? undefined : body);
}

function json(req: IncomingMessage, res: ServerResponse, value: unknown, status = 200): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(req.method === "HEAD" ? undefined : `${JSON.stringify(value, null, 2)}\n`);
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  code?: string,
): void {
  if (wantsJson(req)) return json(req, res, { error: message, ...(code ? { code } : {}) }, status);
  html(req, res, messagePage(status, message), status);
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 301;
  res.setHeader("Location", location);
  res.end();
}
