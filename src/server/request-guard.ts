import type { MiddlewareHandler } from "hono";
import { RequestTooLargeError } from "../errors.js";
import { maxUrlBytes } from "../util/http-limits.js";
import { methodsFor, type RouteEntry } from "./method-not-allowed.js";
import {
  checkHost,
  checkJsonBody,
  checkOrigin,
  requestHeaders,
  type RequestPolicy,
} from "../util/request-policy.js";

/**
 * Checks every request before routing: the Host header against the policy (DNS rebinding), and for
 * state-changing requests the Origin (cross-site requests) and a JSON content type. PUT carries uploads
 * (any content type) and is exempt from the JSON check only; browsers must ask before a cross-site PUT.
 * With `routes` (the app's route table), a method no route answers skips the JSON check (it gets 405).
 * ML-Dash's client uploads files as multipart POSTs to its node route: exempt when they carry an
 * Authorization header, which a browser cannot add to a cross-site request without asking first.
 */
export function requestGuard(policy: RequestPolicy, routes?: () => readonly RouteEntry[]): MiddlewareHandler {
  return async (c, next) => {
    // Node's parser allows maxHeaderBytes for the request line; the URL itself has a tighter limit.
    const url = c.req.url;
    const pathAt = url.indexOf("/", url.indexOf("//") + 2);
    if (url.length - pathAt > maxUrlBytes) throw new RequestTooLargeError("url", maxUrlBytes);
    const headers = requestHeaders(c.req.method, (name) => c.req.header(name));
    checkHost(policy, headers.host);
    checkOrigin(headers);
    // A method no route answers goes on to its 405 (or 404), whatever its body.
    const routed = !routes || methodsFor(routes(), c.req.path).includes(c.req.method);
    if (c.req.method !== "PUT" && routed && !mlDashUpload(c.req.method, c.req.path, c.req.header()))
      checkJsonBody(headers);
    await next();
  };
}

const mlDashNodes = /^\/api\/namespaces\/[^/]+\/nodes$/;

function mlDashUpload(method: string, path: string, headers: Record<string, string>): boolean {
  return (
    method === "POST" &&
    mlDashNodes.test(path) &&
    headers["authorization"] !== undefined &&
    /^multipart\/form-data\s*;/i.test(headers["content-type"] ?? "")
  );
}
