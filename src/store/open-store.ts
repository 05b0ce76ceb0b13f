import { StoreUriError } from "../errors.js";
import type { ServerStore, Store } from "./store.js";
import { ValidatingServerStore, ValidatingStore } from "./validating-store.js";

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** Bearer token for `http(s)://` stores (default `$LABRUN_TOKEN`). */
  readonly token?: string;
}

/** Opens a backend for a URI; registered per scheme (`sqlite:`, `postgres:`, `http:`, …). */
export type StoreOpener = (uri: string, options: OpenStoreOptions) => Promise<Store>;

const openers = new Map<string, StoreOpener>();

/**
 * Adds (or replaces) the backend of a URI scheme, e.g. a test double or another database. The built-in
 * schemes below are used when none is registered.
 */
export function registerStoreScheme(scheme: string, opener: StoreOpener): void {
  openers.set(scheme.replace(/:$/, "").toLowerCase(), opener);
}

function schemeOf(uri: string): string {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(uri);
  if (!match) throw new StoreUriError(uri, "it has no scheme");
  return match[1]!.toLowerCase();
}

/** The folder of a `files:` URI: `files:PATH`, `files:///abs/path`. */
export function filesPath(uri: string): string {
  let path = uri.slice("files:".length);
  if (path.startsWith("//")) path = path.slice(2);
  if (path.length === 0) throw new StoreUriError(uri, "it names no folder");
  return decodeURIComponent(path);
}

/** The file of a `sqlite:` URI: `sqlite:PATH`, `sqlite:///abs/path`, `sqlite::memory:`. */
export function sqlitePath(uri: string): string {
  let path = uri.slice("sqlite:".length);
  if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs → /abs, sqlite://rel → rel
  if (path.length === 0) throw new StoreUriError(uri, "it names no file");
  return decodeURIComponent(path);
}

async function openDatabase(uri: string): Promise<ServerStore> {
  const scheme = schemeOf(uri);
  if (scheme === "sqlite") {
    const { SqliteStore } = await import("./sqlite/sqlite-store.js");
    return SqliteStore.open(sqlitePath(uri));
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    // Loaded on demand: an SDK in local or remote mode never loads pg.
    const { PostgresStore } = await import("./postgres/postgres-store.js");
    return PostgresStore.open(uri);
  }
  throw new StoreUriError(uri, `"${scheme}:" is not a database (use sqlite:PATH or postgres://…)`);
}

/**
 * Opens the store a URI names, with every input validated (validate.ts) before it reaches the backend:
 * `files:PATH` (FilesStore, run folders in ML-Dash's layout), `sqlite:PATH` (SqliteStore), `postgres://user:pass@host:port/db` (PostgresStore), `http(s)://host:port`
 * (HttpStore, a labrun server).
 *
 * @example
 * const store = await openStore("sqlite:./labrun.db");
 * const run = await store.upsertRun({ prefix: "alice/vision/resnet" });
 */
export async function openStore(uri: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (typeof uri !== "string" || uri.length === 0) throw new StoreUriError(String(uri), "it is empty");
  const scheme = schemeOf(uri);
  const registered = openers.get(scheme);
  if (registered) return registered(uri, options);
  if (scheme === "files") {
    // Run folders in ML-Dash's local layout: `files:PATH` (PATH the root of the runs, as `$LABRUN_RUNS`).
    const { FilesStore } = await import("./files/files-store.js");
    return new ValidatingStore(new FilesStore({ root: filesPath(uri) }));
  }
  if (scheme === "http" || scheme === "https") {
    // Remote stores: src/store/http/ (HttpStore validates on the server's side; checking here too saves a
    // round trip for bad input).
    const { HttpStore } = await import("./http/index.js");
    const token = options.token ?? process.env.LABRUN_TOKEN;
    return new ValidatingStore(new HttpStore({ url: uri, ...(token ? { token } : {}) }));
  }
  return new ValidatingServerStore(await openDatabase(uri));
}

/**
 * Opens a database store (`sqlite:` or `postgres://`) with its tokens, validated: what `labrun serve` uses.
 */
export async function openServerStore(uri: string): Promise<ServerStore> {
  if (typeof uri !== "string" || uri.length === 0) throw new StoreUriError(String(uri), "it is empty");
  return new ValidatingServerStore(await openDatabase(uri));
}
