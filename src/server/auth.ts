import type { Context, MiddlewareHandler } from "hono";
import { ForbiddenError, UnauthorizedError } from "../errors.js";

/** What a bearer token allows. */
export interface TokenGrant {
  readonly id: string;
  /** The project (second prefix segment) it may touch, or `*` for every project (admin). */
  readonly project: string;
  readonly readOnly: boolean;
  /** ISO 8601; absent for tokens that never expire. */
  readonly expiresAt?: string;
}

/** The part of the token store the server needs: the AuthStore of src/store/ fits it. */
export interface TokenVerifier {
  /** The grant of a token secret, or undefined when unknown or revoked. */
  verifyToken(secret: string): Promise<TokenGrant | undefined>;
  /** The record of a refused secret (revoked, expired), to tell the caller why; optional. */
  findToken?(
    secret: string,
  ): Promise<{ readonly id: string; readonly expiresAt?: string; readonly revokedAt?: string } | undefined>;
}

/** Who is calling: a token's grant, or everyone when the server runs with --no-auth. */
export type Principal =
  TokenGrant | { readonly id: "no-auth"; readonly project: "*"; readonly readOnly: false };

export type ServerEnv = { Variables: { principal: Principal } };

const writeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Reads the token of a request (the `Authorization: Bearer` header; `?token=` only for SSE). */
function tokenOf(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>".');
    return match[1];
  }
  // EventSource (the browser's SSE client) cannot set headers.
  if (c.req.method === "GET" && c.req.path.endsWith("/events")) return c.req.query("token") ?? undefined;
  return undefined;
}

/**
 * Authenticates every request: 401 without a valid token, 403 for a write with a read-only token.
 * Project checks need the run, so routes call `checkProject` once they know it.
 */
export function authMiddleware(
  verifier: TokenVerifier | undefined,
  enabled: boolean,
): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    if (!enabled) {
      c.set("principal", { id: "no-auth", project: "*", readOnly: false });
      return next();
    }
    const secret = tokenOf(c);
    if (!secret) {
      throw new UnauthorizedError(
        "This server needs a token: send `Authorization: Bearer <token>` (create one on the server with " +
          "`labrun token create --project <project>`, and give it to the SDK as LABRUN_TOKEN).",
      );
    }
    const grant = verifier ? await verifier.verifyToken(secret) : undefined;
    if (!grant) throw await refusal(verifier, secret);
    if (grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= Date.now()) {
      throw new UnauthorizedError(
        `The token expired at ${grant.expiresAt}. Ask for a new one (\`labrun token create\`).`,
      );
    }
    // MLflow searches are POSTs that only read: its routes check writes themselves (mlflow/mlflow-auth.ts).
    // ML-Dash's /graphql has queries only (it writes through REST).
    const readingPost = c.req.path.startsWith("/api/2.0/") || c.req.path === "/graphql";
    if (grant.readOnly && writeMethods.has(c.req.method) && !readingPost) {
      throw new ForbiddenError(
        "This token is read-only: it cannot write. Use a token created without --read-only.",
        {
          details: { tokenId: grant.id },
        },
      );
    }
    // The dashboard's API lists every project's runs: only tokens of every project (admin, possibly read-only).
    if (c.req.path.startsWith("/api/dashboard/") && grant.project !== "*") {
      throw new ForbiddenError(
        "The dashboard needs a token of every project: `labrun token create --project '*' --read-only`.",
        { details: { tokenProject: grant.project } },
      );
    }
    c.set("principal", grant);
    return next();
  };
}

/** Why a secret is refused: expired, revoked or unknown, with what to do. */
async function refusal(verifier: TokenVerifier | undefined, secret: string): Promise<UnauthorizedError> {
  const known = await verifier?.findToken?.(secret).catch(() => undefined);
  const renew =
    "Ask the server's operator for a new one (`labrun token create --project <project>`) and give it to the SDK as LABRUN_TOKEN.";
  if (known?.revokedAt !== undefined)
    return new UnauthorizedError(`The token ${known.id} was revoked at ${known.revokedAt}. ${renew}`, {
      details: { reason: "revoked", tokenId: known.id, revokedAt: known.revokedAt },
    });
  if (known?.expiresAt !== undefined && Date.parse(known.expiresAt) <= Date.now())
    return new UnauthorizedError(
      `The token ${known.id} expired at ${known.expiresAt}. ${renew} (\`--expires\` sets how long it lasts.) ` +
        "Data kept in a client's buffer is sent by `labrun sync` once it has a valid token.",
      { details: { reason: "expired", tokenId: known.id, expiresAt: known.expiresAt } },
    );
  return new UnauthorizedError(
    `The token is not known to this server (check LABRUN_TOKEN or --token, and the server's URL). ${renew}`,
    { details: { reason: "unknown" } },
  );
}

/** Throws 403 unless the caller may touch runs of `project`. */
export function checkProject(principal: Principal, project: string): void {
  if (principal.project === "*" || principal.project === project) return;
  throw new ForbiddenError(
    `This token belongs to project "${principal.project}" and cannot access project "${project}". ` +
      "Use a token of that project.",
    { details: { tokenProject: principal.project, project } },
  );
}
