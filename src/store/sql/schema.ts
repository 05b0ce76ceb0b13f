import type { SqlDialect, SqlExecutor } from "./sql-driver.js";
import { sqlTypes } from "./sql-driver.js";
import { backfillRunLatest } from "./sql-run-latest.js";

/** One step of the database schema. Versions only grow; a released migration is never edited. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (dialect: SqlDialect) => readonly string[];
  /** Data to fill in after the statements, in the same transaction. */
  readonly backfill?: (tx: SqlExecutor) => Promise<void>;
}

/**
 * The schema of the SQL stores, as migrations applied in order at open (see docs/storage.md).
 * Text columns are `COLLATE "C"` on PostgreSQL so that prefix ranges compare bytes, as SQLite does.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "runs, params, metric streams and chunks, logs, files, batches, tokens",
    statements: (dialect) => {
      const t = sqlTypes(dialect);
      const statements = [
        `CREATE TABLE runs (
          id ${t.text} PRIMARY KEY,
          prefix ${t.text} NOT NULL,
          owner ${t.text} NOT NULL,
          project ${t.text} NOT NULL,
          name ${t.text} NOT NULL,
          status ${t.text} NOT NULL,
          description ${t.text},
          tags ${t.text} NOT NULL,
          bindrs ${t.text} NOT NULL,
          metadata ${t.text} NOT NULL,
          error ${t.text},
          created_at ${t.text} NOT NULL,
          updated_at ${t.text} NOT NULL,
          ended_at ${t.text},
          deleted ${t.int} NOT NULL DEFAULT 0,
          log_count ${t.int} NOT NULL DEFAULT 0,
          latest ${t.text} NOT NULL DEFAULT '{}'
        )`,
        `CREATE UNIQUE INDEX runs_live_prefix ON runs (prefix) WHERE deleted = 0`,
        `CREATE INDEX runs_project ON runs (project, created_at)`,
        `CREATE INDEX runs_created ON runs (created_at, id)`,
        `CREATE INDEX runs_updated ON runs (updated_at, id)`,
        `CREATE TABLE run_tags (
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          tag ${t.text} NOT NULL,
          PRIMARY KEY (run_id, tag)
        )`,
        `CREATE INDEX run_tags_tag ON run_tags (tag)`,
        `CREATE TABLE run_params (
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          key ${t.text} NOT NULL,
          value ${t.text} NOT NULL,
          PRIMARY KEY (run_id, key)
        )`,
        `CREATE INDEX run_params_value ON run_params (key, value)`,
        `CREATE TABLE run_batches (
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          client_id ${t.text} NOT NULL,
          seq ${t.int} NOT NULL,
          received_at ${t.text} NOT NULL,
          PRIMARY KEY (run_id, client_id, seq)
        )`,
        `CREATE TABLE metric_streams (
          id ${t.serial},
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          stream ${t.text} NOT NULL,
          count ${t.int} NOT NULL,
          open_count ${t.int} NOT NULL,
          fields ${t.text} NOT NULL,
          first_ts ${t.real},
          last_ts ${t.real},
          summary ${t.text} NOT NULL,
          latest ${t.text} NOT NULL,
          UNIQUE (run_id, stream)
        )`,
        `CREATE TABLE metric_chunks (
          stream_id ${t.int} NOT NULL REFERENCES metric_streams (id) ON DELETE CASCADE,
          first_index ${t.int} NOT NULL,
          count ${t.int} NOT NULL,
          sealed ${t.int} NOT NULL,
          first_ts ${t.real} NOT NULL,
          last_ts ${t.real} NOT NULL,
          summary_fields ${t.text} NOT NULL,
          summary ${t.blob} NOT NULL,
          data ${t.blob} NOT NULL,
          PRIMARY KEY (stream_id, first_index)
        )`,
        `CREATE TABLE run_logs (
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          sequence ${t.int} NOT NULL,
          level ${t.text} NOT NULL,
          level_rank ${t.int} NOT NULL,
          message ${t.text} NOT NULL,
          metadata ${t.text},
          timestamp ${t.text} NOT NULL,
          ts_ms ${t.real} NOT NULL,
          PRIMARY KEY (run_id, sequence)
        )`,
        `CREATE TABLE run_files (
          id ${t.text} PRIMARY KEY,
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          prefix ${t.text} NOT NULL,
          filename ${t.text} NOT NULL,
          size ${t.int} NOT NULL,
          sha256 ${t.text} NOT NULL,
          content_type ${t.text},
          storage_key ${t.text} NOT NULL,
          created_at ${t.text} NOT NULL
        )`,
        `CREATE UNIQUE INDEX run_files_path ON run_files (run_id, prefix, filename)`,
        `CREATE TABLE auth_tokens (
          id ${t.text} PRIMARY KEY,
          token_hash ${t.text} NOT NULL UNIQUE,
          project ${t.text} NOT NULL,
          read_only ${t.int} NOT NULL,
          description ${t.text},
          created_at ${t.text} NOT NULL,
          expires_at ${t.text},
          revoked_at ${t.text}
        )`,
      ];
      // Chunk bytes hardly compress (doubles): PostgreSQL's attempt at it costs more than it saves.
      if (dialect === "postgres") {
        statements.push(
          "ALTER TABLE metric_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
          "ALTER TABLE metric_chunks ALTER COLUMN summary SET STORAGE EXTERNAL",
        );
      }
      return statements;
    },
  },
  {
    version: 2,
    name: "run_latest (latest values as numbers, for listings sorted by a metric); metric_groups (summaries of 10 sealed chunks)",
    statements: (dialect) => {
      const t = sqlTypes(dialect);
      return [
        `CREATE TABLE run_latest (
          run_id ${t.text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          key ${t.text} NOT NULL,
          value ${t.real},
          PRIMARY KEY (run_id, key)
        )${dialect === "sqlite" ? " WITHOUT ROWID" : ""}`,
        `CREATE INDEX run_latest_sort ON run_latest (key, value, run_id)`,
        `CREATE TABLE metric_groups (
          stream_id ${t.int} NOT NULL REFERENCES metric_streams (id) ON DELETE CASCADE,
          first_index ${t.int} NOT NULL,
          count ${t.int} NOT NULL,
          first_ts ${t.real} NOT NULL,
          last_ts ${t.real} NOT NULL,
          summary_fields ${t.text} NOT NULL,
          summary ${t.blob} NOT NULL,
          PRIMARY KEY (stream_id, first_index)
        )`,
      ];
    },
    backfill: backfillRunLatest,
  },
];
