import { isIP } from "node:net";
import { CrossOriginError, HostNotAllowedError, UnsupportedMediaTypeError } from "../errors.js";

/**
 * Which requests a labrun HTTP server answers, against DNS rebinding (a foreign host name that resolves to
 * this machine) and cross-site requests (a page of another site posting to this server).
 */
export interface RequestPolicy {
  /** Host names (lower case, IPv6 in brackets, no port) a request may name; `any` turns the check off. */
  readonly hosts: ReadonlySet<string> | "any";
  /** Also any IP literal: the server listens on every interface, and rebinding always needs a name. */
  readonly ipLiterals: boolean;
}

/** The names every labrun server answers to. */
export const loopbackHosts: readonly string[] = Object.freeze(["localhost", "127.0.0.1", "[::1]"]);

const wildcardHosts = new Set(["0.0.0.0", "::", "[::]", ""]);

/** A host name as compared: lower case, without a trailing dot, IPv6 in brackets. */
export function normaliseHostName(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\.$/, "");
  return isIP(lower) === 6 ? `[${lower}]` : lower;
}

/**
 * The policy of a server bound to `boundHost`: loopback names, the bound host, and `allowedHosts`
 * (`["*"]` allows any host, for a server behind a reverse proxy that rewrites nothing).
 */
export function requestPolicy(boundHost: string, allowedHosts: readonly string[] = []): RequestPolicy {
  if (allowedHosts.includes("*")) return { hosts: "any", ipLiterals: true };
  const bound = normaliseHostName(boundHost);
  const wildcard = wildcardHosts.has(bound);
  const hosts = new Set([...loopbackHosts, ...(wildcard ? [] : [bound])]);
  for (const name of allowedHosts) if (name.trim()) hosts.add(normaliseHostName(name));
  return { hosts, ipLiterals: wildcard };
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower case, without the port. */
export function hostNameOf(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end < 0 ? value : value.slice(0, end + 1);
  }
  const colon = value.lastIndexOf(":");
  return normaliseHostName(colon < 0 ? value : value.slice(0, colon));
}

/** Throws HostNotAllowedError unless the Host header names this server. No header: not a browser, allowed. */
export function checkHost(policy: RequestPolicy, host: string | undefined): void {
  if (policy.hosts === "any" || host === undefined || host === "") return;
  const name = hostNameOf(host);
  if (policy.hosts.has(name)) return;
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  if (policy.ipLiterals && isIP(bare) !== 0) return;
  throw new HostNotAllowedError(name, [...policy.hosts]);
}

/** The headers a state-changing request is judged on. */
export interface RequestHeaders {
  readonly method: string;
  readonly host?: string | undefined;
  readonly forwardedHost?: string | undefined;
  readonly origin?: string | undefined;
  readonly secFetchSite?: string | undefined;
  readonly contentType?: string | undefined;
  /** True when the request carries a body (a Content-Length above 0 or a chunked body). */
  readonly hasBody: boolean;
}

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** True for methods that may change data. */
export const isStateChanging = (method: string): boolean => !readMethods.has(method.toUpperCase());

/**
 * Throws CrossOriginError for a state-changing request sent by a page of another origin: a browser always
 * sends `Origin` (and `Sec-Fetch-Site`) with these, programs usually send neither, and are let through.
 */
export function checkOrigin(request: RequestHeaders): void {
  if (!isStateChanging(request.method)) return;
  if (request.secFetchSite?.toLowerCase() === "cross-site")
    throw new CrossOriginError(request.origin ?? "another site", "Sec-Fetch-Site: cross-site");
  const origin = request.origin;
  if (origin === undefined) return;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    throw new CrossOriginError(origin, "an opaque or malformed Origin");
  }
  if (origin === "null" || originHost === "")
    throw new CrossOriginError(origin, "an opaque or malformed Origin");
  const own = [request.host, request.forwardedHost].filter((h): h is string => !!h);
  if (own.some((host) => host.trim().toLowerCase() === originHost)) return;
  throw new CrossOriginError(origin, `not the origin of ${own[0] ?? "this server"}`);
}

const jsonMethods = new Set(["POST", "PATCH", "DELETE"]);
const jsonType = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * Throws UnsupportedMediaTypeError unless a state-changing request's body is declared as JSON. A browser can
 * send `text/plain`, form or multipart bodies across sites without asking first, but not JSON. A request
 * without a body (a DELETE) may leave the type out.
 */
export function checkJsonBody(request: RequestHeaders): void {
  // Only the methods that carry a JSON body here; any other (TRACE, PROPFIND) meets no route: 404.
  if (!jsonMethods.has(request.method.toUpperCase())) return;
  if (request.contentType === undefined && !request.hasBody && request.method.toUpperCase() === "DELETE")
    return;
  if (request.contentType !== undefined && jsonType.test(request.contentType.trim())) return;
  throw new UnsupportedMediaTypeError(request.contentType);
}

/** The fields of `RequestHeaders` from a header getter (Fetch `Headers` or Node's lower-case record). */
export function requestHeaders(
  method: string,
  get: (name: string) => string | null | undefined,
): RequestHeaders {
  const value = (name: string) => get(name) ?? undefined;
  const length = Number(value("content-length") ?? "0");
  return {
    method,
    host: value("host"),
    forwardedHost: value("x-forwarded-host"),
    origin: value("origin"),
    secFetchSite: value("sec-fetch-site"),
    contentType: value("content-type"),
    hasBody: (Number.isFinite(length) && length > 0) || value("transfer-encoding") !== undefined,
  };
}
