import type { JsonValue } from "../../format/json-codec.js";
import { parseJson } from "../../format/json-codec.js";
import type { RunStatus, StoredFile, StoredLog, StoredRun, TokenInfo, LogLevel } from "../store.js";

/** A row of `runs` as both drivers return it. */
export interface RunRow {
  id: string;
  prefix: string;
  owner: string;
  project: string;
  name: string;
  status: string;
  description: string | null;
  tags: string;
  bindrs: string;
  metadata: string;
  error: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  deleted: number | string;
  log_count: number | string;
  /** `stream.field` → last value (JSON), kept here so that listings read no other table. */
  latest: string;
}

export const runColumns =
  "id, prefix, owner, project, name, status, description, tags, bindrs, metadata, error, created_at, updated_at, ended_at, deleted, log_count, latest";

export function runFromRow(row: RunRow): StoredRun {
  return {
    id: row.id,
    prefix: row.prefix,
    owner: row.owner,
    project: row.project,
    name: row.name,
    status: row.status as RunStatus,
    ...(row.description === null ? {} : { description: row.description }),
    // Most runs have no bindrs or metadata: no parse for those (a listing maps thousands of rows).
    tags: row.tags === "[]" ? [] : (JSON.parse(row.tags) as string[]),
    bindrs: row.bindrs === "[]" ? [] : (JSON.parse(row.bindrs) as string[]),
    metadata: row.metadata === "{}" ? {} : (parseJson(row.metadata) as Record<string, JsonValue>),
    ...(row.error === null ? {} : { error: row.error }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
    deleted: Number(row.deleted) !== 0,
  };
}

export interface LogRow {
  sequence: number | string;
  level: string;
  message: string;
  metadata: string | null;
  timestamp: string;
}

export function logFromRow(row: LogRow): StoredLog {
  return {
    sequence: Number(row.sequence),
    level: row.level as LogLevel,
    message: row.message,
    ...(row.metadata === null ? {} : { metadata: parseJson(row.metadata) as Record<string, JsonValue> }),
    timestamp: row.timestamp,
  };
}

export interface FileRow {
  id: string;
  prefix: string;
  filename: string;
  size: number | string;
  sha256: string;
  content_type: string | null;
  storage_key: string;
  created_at: string;
}

export function fileFromRow(row: FileRow): StoredFile {
  return {
    id: row.id,
    prefix: row.prefix,
    filename: row.filename,
    size: Number(row.size),
    sha256: row.sha256,
    ...(row.content_type === null ? {} : { contentType: row.content_type }),
    storageKey: row.storage_key,
    createdAt: row.created_at,
  };
}

export interface TokenRow {
  id: string;
  project: string;
  read_only: number | string;
  description: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export function tokenFromRow(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    project: row.project,
    readOnly: Number(row.read_only) !== 0,
    ...(row.description === null ? {} : { description: row.description }),
    createdAt: row.created_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

/** `?, ?, ?` for an IN list. */
export function placeholders(n: number): string {
  return new Array<string>(n).fill("?").join(", ");
}
