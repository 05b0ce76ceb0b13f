import { createHash, randomBytes } from "node:crypto";
import type { CreatedToken, NewToken, TokenInfo } from "../store.js";
import type { TokenRow } from "./rows.js";
import { tokenFromRow } from "./rows.js";
import type { SqlExecutor } from "./sql-driver.js";

const tokenColumns = "id, project, read_only, description, created_at, expires_at, revoked_at";

/** The stored form of a secret: its SHA-256 in hex (secrets are 256 random bits: no salt or KDF needed). */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export async function createToken(tx: SqlExecutor, token: NewToken, now: string): Promise<CreatedToken> {
  const id = randomBytes(6).toString("hex");
  const secret = `lrt_${randomBytes(32).toString("base64url")}`;
  const rows = await tx.all<TokenRow>(
    `INSERT INTO auth_tokens (id, token_hash, project, read_only, description, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${tokenColumns}`,
    [
      id,
      hashSecret(secret),
      token.project,
      token.readOnly ? 1 : 0,
      token.description ?? null,
      now,
      token.expiresAt ?? null,
    ],
  );
  return { secret, token: tokenFromRow(rows[0]!) };
}

export async function listTokens(tx: SqlExecutor): Promise<TokenInfo[]> {
  const rows = await tx.all<TokenRow>(`SELECT ${tokenColumns} FROM auth_tokens ORDER BY created_at DESC, id`);
  return rows.map(tokenFromRow);
}

export async function revokeToken(tx: SqlExecutor, id: string, now: string): Promise<boolean> {
  await tx.run(`UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, [now, id]);
  const rows = await tx.all(`SELECT id FROM auth_tokens WHERE id = ?`, [id]);
  return rows.length > 0;
}

/** The record of a secret whatever its state (revoked, expired), or undefined when unknown. */
export async function findToken(tx: SqlExecutor, secret: string): Promise<TokenInfo | undefined> {
  const rows = await tx.all<TokenRow>(`SELECT ${tokenColumns} FROM auth_tokens WHERE token_hash = ?`, [
    hashSecret(secret),
  ]);
  return rows[0] ? tokenFromRow(rows[0]) : undefined;
}

export async function verifyToken(
  tx: SqlExecutor,
  secret: string,
  now: string,
): Promise<TokenInfo | undefined> {
  const rows = await tx.all<TokenRow>(`SELECT ${tokenColumns} FROM auth_tokens WHERE token_hash = ?`, [
    hashSecret(secret),
  ]);
  const row = rows[0];
  if (!row || row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.parse(now)) return undefined;
  return tokenFromRow(row);
}
