import type { MiddlewareHandler } from "hono";
import { RequestTooLargeError } from "../errors.js";
import { maxUrlBytes } from "../util/http-limits.js";
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
 */
export function requestGuard(policy: RequestPolicy): MiddlewareHandler {
  return async (c, next) => {
    // Node's parser allows maxHeaderBytes for the request line; the URL itself has a tighter limit.
    const url = c.req.url;
    const pathAt = url.indexOf("/", url.indexOf("//") + 2);
    if (url.length - pathAt > maxUrlBytes) throw new RequestTooLargeError("url", maxUrlBytes);
    const headers = requestHeaders(c.req.method, (name) => c.req.header(name));
    checkHost(policy, headers.host);
    checkOrigin(headers);
    if (c.req.method !== "PUT") checkJsonBody(headers);
    await next();
  };
}
