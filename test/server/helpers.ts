import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createServer,
  LocalFileStorage,
  type LabrunServer,
  type ServerLimits,
} from "../../src/server/index.js";
import { openServerStore } from "../../src/store/open-store.js";
import type { ServerStore } from "../../src/store/store.js";
import { labrunBin, repoRoot } from "../helpers.js";

/** A database for one test: a fresh SQLite file, or a fresh PostgreSQL schema/database when asked. */
export interface TestDatabase {
  readonly name: "sqlite" | "postgres";
  readonly uri: string;
  readonly cleanup: () => Promise<void>;
}

/** Backends the server tests run against: sqlite always; postgres when LABRUN_TEST_PG_URL is set. */
export function serverBackends(): ("sqlite" | "postgres")[] {
  const wanted = (process.env.LABRUN_TEST_BACKENDS ?? "sqlite,postgres").split(",");
  return wanted.includes("postgres") && process.env.LABRUN_TEST_PG_URL ? ["sqlite", "postgres"] : ["sqlite"];
}

/** A fresh database of the given backend (PostgreSQL: a new database on LABRUN_TEST_PG_URL's server). */
export async function testDatabase(backend: "sqlite" | "postgres", dir: string): Promise<TestDatabase> {
  if (backend === "sqlite")
    return { name: "sqlite", uri: `sqlite:${join(dir, "labrun.db")}`, cleanup: async () => {} };
  const base = new URL(process.env.LABRUN_TEST_PG_URL!);
  const name = `labrun_server_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name: "postgres",
    uri: url.toString(),
    cleanup: async () => {
      const client = new pg.Client({ connectionString: base.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface InProcessServer {
  readonly server: LabrunServer;
  readonly store: ServerStore;
  readonly dir: string;
  /** Tokens: admin, vision (read-write), visionRead (read-only), other (project "other"). */
  readonly tokens: { admin: string; vision: string; visionRead: string; other: string };
  /** `app.request` with the vision token and JSON. */
  request(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  json<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null },
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** A server over a fresh database, without a socket (Hono's app.request). */
export async function inProcessServer(
  options: { backend?: "sqlite" | "postgres"; auth?: boolean; limits?: Partial<ServerLimits> } = {},
): Promise<InProcessServer> {
  const dir = mkdtempSync(join(tmpdir(), "labrun-server-"));
  const db = await testDatabase(options.backend ?? "sqlite", dir);
  const store = await openServerStore(db.uri);
  const tokens = {
    admin: (await store.createToken({ project: "*" })).secret,
    vision: (await store.createToken({ project: "vision" })).secret,
    visionRead: (await store.createToken({ project: "vision", readOnly: true })).secret,
    other: (await store.createToken({ project: "other" })).secret,
  };
  const server = createServer({
    store,
    authStore: store,
    auth: options.auth ?? true,
    files: new LocalFileStorage(join(dir, "files")),
    logError: () => {},
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const request: InProcessServer["request"] = (method, path, body, requestOptions = {}) => {
    const token = requestOptions.token === undefined ? tokens.vision : requestOptions.token;
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | Uint8Array | undefined;
    if (typeof body === "string" || body instanceof Uint8Array) {
      payload = body as string | Uint8Array;
      // A text body is JSON being tested (malformed on purpose); bytes are an upload.
      if (typeof body === "string") headers["content-type"] ??= "application/json";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    return Promise.resolve(
      server.app.request(path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) }),
    );
  };
  return {
    server,
    store,
    dir,
    tokens,
    request,
    async json(method, path, body, requestOptions) {
      const response = await request(method, path, body, requestOptions);
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await store.close().catch(() => {});
      await db.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `labrun serve` as a real process; resolves once it prints its URL. */
export async function serveProcess(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [labrunBin, "serve", "--port", "0", ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) =>
      reject(new Error(`labrun serve exited (${code}) before listening:\n${output}`)),
    );
    setTimeout(() => reject(new Error(`labrun serve did not start in 90 s:\n${output}`)), 90_000).unref();
  });
  return { child, url, output: () => output, exited };
}

/** fetch with a bearer token and JSON. */
export async function api<T = any>(
  url: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as T) : (undefined as T) };
}

/** A batch of `n` points of stream `train` starting at step `from`. */
export function pointsBatch(clientId: string, seq: number, from: number, n: number) {
  return {
    clientId,
    seq,
    metrics: [
      {
        stream: "train",
        points: Array.from({ length: n }, (_, i) => ({
          fields: { loss: 1 / (from + i + 1), step: from + i },
          ts: 1_700_000_000 + from + i,
        })),
      },
    ],
  };
}
