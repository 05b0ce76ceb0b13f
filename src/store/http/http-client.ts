import { ServerUnreachableError } from "../../errors.js";
import { rebuildError, type WireError } from "./rebuild-error.js";
import { stringifyWire } from "../../format/wire-json.js";

export interface HttpClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:4400` (a trailing `/` is ignored). */
  readonly url: string;
  /** Bearer token (`labrun token create`); none for a server started with `--no-auth`. */
  readonly token?: string;
  /** Per-request time limit; default 30 s (uploads: none). */
  readonly timeoutMs?: number;
}

type BodyInit = NonNullable<RequestInit["body"]>;

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | readonly string[] | undefined>>;
  /** JSON body (non-finite numbers are sent as their names). */
  readonly json?: unknown;
  /** Raw body (file upload); streamed. */
  readonly raw?: BodyInit;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * The HTTP API's transport: JSON in and out, the bearer token, and errors turned back into labrun's
 * classes (`{error:{code,message}}` → `RunNotFoundError`, …; no answer at all → `ServerUnreachableError`).
 */
export class HttpClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: HttpClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.#token = options.token || undefined;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends a request and parses the JSON answer; throws the rebuilt error on a non-2xx status. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The connection broke while the answer arrived: as good as no answer.
      throw new ServerUnreachableError(this.url, describeFetchError(error), error);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Sends a request and returns the (2xx) response, body unread. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const target = new URL(this.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      target.searchParams.set(key, Array.isArray(value) ? value.join(",") : String(value));
    }
    const headers: Record<string, string> = { ...options.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = stringifyWire(options.json);
    } else if (options.raw !== undefined) body = options.raw;
    const timeoutMs = options.timeoutMs ?? (options.raw !== undefined ? 0 : this.#timeoutMs);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers,
        body,
        ...(options.raw !== undefined && typeof (options.raw as { pipe?: unknown }).pipe === "function"
          ? { duplex: "half" }
          : {}),
        ...(timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
      } as RequestInit);
    } catch (error) {
      throw new ServerUnreachableError(this.url, describeFetchError(error), error);
    }
    if (response.ok) return response;
    let wire: WireError | undefined;
    try {
      const parsed = (await response.json()) as { error?: WireError };
      wire = parsed?.error;
    } catch {
      wire = undefined;
    }
    throw rebuildError(response.status, wire);
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if ((error as Error)?.name === "TimeoutError") return "no answer in time";
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether the server refused the credentials (401, 403: a missing, wrong, expired or read-only token): the
 * data was not judged, so it must stay buffered until it is sent with a valid token (`labrun sync`).
 */
export function isAuthRefusal(error: unknown): boolean {
  const status = (error as { details?: { status?: unknown } })?.details?.status;
  return status === 401 || status === 403;
}

/**
 * Whether a failed request may succeed if sent again: no answer, 5xx, 408, 429. Anything else (another 4xx,
 * a local problem such as a missing file) would fail the same way forever.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ServerUnreachableError) return true;
  const status = (error as { details?: { status?: unknown } })?.details?.status;
  return typeof status === "number" && (status >= 500 || status === 408 || status === 429);
}
