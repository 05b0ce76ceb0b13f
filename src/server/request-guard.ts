import type { MiddlewareHandler } from "hono";
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
    const headers = requestHeaders(c.req.method, (name) => c.req.header(name));
    checkHost(policy, headers.host);
    checkOrigin(headers);
    if (c.req.method !== "PUT") checkJsonBody(headers);
    await next();
  };
}
