import type BetterSqlite3 from "better-sqlite3";

/**
 * The index's schema, one migration per version (`PRAGMA user_version` holds the last one applied). Append
 * new migrations; never edit one that has shipped. Being a cache, the index may also be deleted: it is
 * rebuilt from the files.
 */
export const migrations: readonly string[] = [
  // 1: experiments and their jobs, with the stamps of the files each row was read from.
  `
  CREATE TABLE experiments (
    dir TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    host TEXT NOT NULL,
    user TEXT NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER,
    git_branch TEXT,
    created_at TEXT NOT NULL,
    launched_at TEXT,
    finished_at TEXT,
    state TEXT NOT NULL,
    jobs_total INTEGER NOT NULL,
    jobs_pending INTEGER NOT NULL,
    jobs_waiting INTEGER NOT NULL,
    jobs_submitted INTEGER NOT NULL,
    jobs_running INTEGER NOT NULL,
    jobs_completed INTEGER NOT NULL,
    jobs_failed INTEGER NOT NULL,
    jobs_cancelled INTEGER NOT NULL,
    stamp TEXT NOT NULL
  );
  CREATE INDEX experiments_by_created ON experiments (created_at, dir);
  CREATE INDEX experiments_by_title ON experiments (title);
  CREATE INDEX experiments_by_id ON experiments (id);
  CREATE TABLE jobs (
    experiment_dir TEXT NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    task TEXT NOT NULL,
    identity TEXT NOT NULL,
    dir TEXT NOT NULL,
    state TEXT NOT NULL,
    exit_code INTEGER,
    attempt INTEGER,
    reason TEXT,
    created_at TEXT,
    submitted_at TEXT,
    started_at TEXT,
    ended_at TEXT,
    stamp TEXT NOT NULL,
    -- job.json's modification time (from the stamp): a shared job's newer record replaces an older one only
    mtime REAL NOT NULL,
    PRIMARY KEY (experiment_dir, idx)
  ) WITHOUT ROWID;
  CREATE INDEX jobs_by_dir ON jobs (dir);
  `,
];

export const schemaVersion = migrations.length;

/** Brings the schema up to date; returns the version found. Throws when the file is newer than this code. */
export function migrate(db: BetterSqlite3.Database): number {
  const found = db.pragma("user_version", { simple: true }) as number;
  if (found > schemaVersion) throw new NewerIndexError(found);
  if (found === schemaVersion) return found;
  db.transaction(() => {
    // Another process may have migrated while this one waited for the write lock.
    const current = db.pragma("user_version", { simple: true }) as number;
    for (let version = current; version < schemaVersion; version++) db.exec(migrations[version]!);
    db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
  return found;
}

/** The index was written by a newer labrun (its schema version is above the known ones). */
export class NewerIndexError extends Error {
  constructor(readonly version: number) {
    super(`schema version ${version} is newer than this labrun's (${schemaVersion})`);
    this.name = "NewerIndexError";
  }
}
