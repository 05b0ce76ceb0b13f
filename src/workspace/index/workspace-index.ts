import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { stampTime } from "./file-stamp.js";
import { countJobs, indexedJobStates, isFinalJobState } from "./index-records.js";
import type {
  ExperimentFilter,
  ExperimentListing,
  ExperimentStateRule,
  IndexedExperiment,
  IndexedJob,
  IndexedJobState,
  JobCounts,
} from "./index-records.js";
import { migrate } from "./migrations.js";

/** The index's file in a workspace (with `-wal` and `-shm` beside it while it is open). */
export const indexFileName = "index.sqlite";

export interface IndexOpenOptions {
  /** How the experiments' states follow from their jobs'. */
  readonly experimentState: ExperimentStateRule;
  /** How long a write waits for another process's (default 5 s). A driver passes little: it can skip a write. */
  readonly busyTimeoutMs?: number;
}

/**
 * The SQLite index of a workspace (`<workspace>/index.sqlite`, WAL): a cache of what the experiments' files
 * say, to list and filter thousands of experiments without reading them all. It is never the truth: every
 * row can be rebuilt from the files (`syncIndex`), and nothing is written here that is not in a file first.
 *
 * Its operations record experiments and jobs as read from their files, forget experiments whose folders
 * are gone, and list. It deliberately leaves out reading the files (see `syncIndex` and its reader), and
 * anything a driver needs to run jobs: if the index is lost, only listings get slower until it is rebuilt.
 *
 * @example
 * const index = WorkspaceIndex.open(workspace.root, { experimentState });
 * try {
 *   syncIndex(index, workspace.root, reader);
 *   for (const e of index.experiments({ host: "gpu-1" })) console.log(e.title, e.jobs.COMPLETED, e.jobs.total);
 * } finally {
 *   index.close();
 * }
 */
export class WorkspaceIndex {
  readonly file: string;
  readonly #db: BetterSqlite3.Database;
  readonly #rule: ExperimentStateRule;
  readonly #statements: ReturnType<typeof prepareStatements>;

  private constructor(file: string, db: BetterSqlite3.Database, rule: ExperimentStateRule) {
    this.file = file;
    this.#db = db;
    this.#rule = rule;
    this.#statements = prepareStatements(db);
  }

  /**
   * Opens (creating if needed) and migrates the index of the workspace at `root`. Throws a SqliteError when
   * the file is damaged (see `isDamagedIndexError`: then `discard` it and open again) and a
   * `NewerIndexError` when a newer labrun wrote it.
   */
  static open(root: string, options: IndexOpenOptions): WorkspaceIndex {
    const file = join(root, indexFileName);
    const db = new (sqlite())(file, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL"); // a cache: losing the last write after a power cut costs a re-read
      migrate(db);
      return new WorkspaceIndex(file, db, options.experimentState);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Deletes the index of the workspace at `root` (a damaged one), with its WAL files. */
  static discard(root: string): void {
    const file = join(root, indexFileName);
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(file + suffix, { force: true });
  }

  /** How long a write waits for another process's from now on. */
  setBusyTimeout(ms: number): void {
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.round(ms))}`);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Runs `fn` in one write transaction: other processes see all of its changes or none. */
  batch<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** The stamp of experiment.json each indexed experiment was read from, and its state, by directory. */
  stamps(): Map<string, { readonly stamp: string; readonly state: string }> {
    const rows = this.#statements.stamps.all() as { dir: string; stamp: string; state: string }[];
    return new Map(rows.map((row) => [row.dir, { stamp: row.stamp, state: row.state }]));
  }

  /** The stamp of experiment.json an indexed experiment was read from. */
  stampOf(experimentDir: string): string | undefined {
    return this.#statements.stampOf.get(experimentDir) as string | undefined;
  }

  /** How many experiments and jobs the index holds. */
  size(): { experiments: number; jobs: number } {
    const [experiments, jobs] = this.#statements.size.get() as [number, number | null];
    return { experiments, jobs: jobs ?? 0 };
  }

  /** The jobs of one experiment, in order. */
  jobs(experimentDir: string): IndexedJob[] {
    return (this.#statements.jobsOf.all(experimentDir) as JobRow[]).map(jobFromRow);
  }

  /** The jobs of one experiment that live in these (relative) job directories. */
  jobsAt(experimentDir: string, jobDirs: readonly string[]): IndexedJob[] {
    return jobDirs.flatMap((jobDir) =>
      (this.#statements.jobAt.all(jobDir, experimentDir) as JobRow[]).map(jobFromRow),
    );
  }

  /** The jobs of every experiment that has not ended (whose job files may still change), by experiment. */
  unfinishedJobs(): Map<string, IndexedJob[]> {
    const byExperiment = new Map<string, IndexedJob[]>();
    for (const row of this.#statements.unfinishedJobs.all() as JobRow[]) {
      const list = byExperiment.get(row.experiment_dir) ?? [];
      list.push(jobFromRow(row));
      byExperiment.set(row.experiment_dir, list);
    }
    return byExperiment;
  }

  /**
   * Records experiments as their files say, replacing their rows and jobs. A job shared with other
   * experiments (a reused identity) gets its newer state in their rows too.
   */
  recordExperiments(experiments: readonly IndexedExperiment[]): void {
    this.#record(experiments, true);
  }

  #record(experiments: readonly IndexedExperiment[], share: boolean): void {
    this.batch(() => {
      const touched = new Set<string>();
      for (const experiment of experiments) {
        const s = this.#statements;
        s.deleteJobs.run(experiment.dir);
        const counts = countJobs(experiment.jobs.map((job) => job.state));
        s.upsertExperiment.run({
          dir: experiment.dir,
          id: experiment.id,
          title: experiment.title,
          host: experiment.host,
          user: experiment.user,
          git_commit: experiment.git?.commit ?? null,
          git_dirty: experiment.git ? (experiment.git.dirty ? 1 : 0) : null,
          git_branch: experiment.git?.branch ?? null,
          created_at: experiment.createdAt,
          launched_at: experiment.launchedAt ?? null,
          finished_at: experiment.finishedAt ?? null,
          state: this.#rule(
            experiment.jobs.map((job) => job.state),
            experiment.launchedAt !== undefined,
          ),
          ...countColumns(counts),
          stamp: experiment.stamp,
        });
        for (const job of experiment.jobs) {
          const params = jobParams(experiment.dir, job);
          // Positional: a 16-column row bound by name costs more, and a rebuild inserts 100,000s of them.
          s.insertJob.run(...Object.values(params));
          if (share) this.#shareJob(params, touched);
        }
      }
      this.#recount(touched);
    });
  }

  /** Records new states of some jobs of an indexed experiment (matched by index); others keep theirs. */
  recordJobs(experimentDir: string, jobs: readonly IndexedJob[]): void {
    if (jobs.length === 0) return;
    this.batch(() => {
      const touched = new Set([experimentDir]);
      for (const job of jobs) {
        const params = jobParams(experimentDir, job);
        this.#statements.updateJob.run(params);
        this.#shareJob(params, touched);
      }
      this.#recount(touched);
    });
  }

  /** Removes experiments (whose folders are gone) and their jobs. */
  forgetExperiments(dirs: Iterable<string>): void {
    this.batch(() => {
      for (const dir of dirs) {
        this.#statements.deleteJobs.run(dir);
        this.#statements.deleteExperiment.run(dir);
      }
    });
  }

  /** Replaces everything with these experiments (a rebuild from the files, which reads every job once). */
  replaceAll(experiments: readonly IndexedExperiment[]): void {
    this.batch(() => {
      this.#db.exec("DELETE FROM jobs; DELETE FROM experiments;");
      this.#record(experiments, false);
    });
  }

  /** Experiments matching `filter`, oldest first. */
  experiments(filter: ExperimentFilter = {}): ExperimentListing[] {
    const where: string[] = [];
    const params: string[] = [];
    for (const [column, value] of [
      ["title", filter.title],
      ["host", filter.host],
      ["state", filter.state],
    ] as const)
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    const sql = `SELECT ${listingColumns} FROM experiments ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at, dir`;
    // Rows as arrays: better-sqlite3 builds a 20-key object per row twice as slowly as listingFromRow does.
    return (
      this.#db
        .prepare(sql)
        .raw()
        .all(...params) as ListingRow[]
    ).map(listingFromRow);
  }

  /** The other experiments' rows of a job: updated when this record of it is newer than theirs. */
  #shareJob(job: ReturnType<typeof jobParams>, touched: Set<string>): void {
    const others = this.#statements.staleCopies.all(job.dir, job.experiment_dir, job.stamp, job.mtime) as {
      experiment_dir: string;
    }[];
    if (others.length === 0) return;
    this.#statements.updateCopies.run(job);
    for (const other of others) touched.add(other.experiment_dir);
  }

  /** Recomputes the job counts and state of these experiments from their job rows. */
  #recount(dirs: Iterable<string>): void {
    for (const dir of dirs) {
      const row = this.#statements.launched.get(dir) as { launched: number } | undefined;
      if (!row) continue;
      const states = this.#statements.jobStates.all(dir) as string[];
      this.#statements.updateCounts.run({
        dir,
        state: this.#rule(states, row.launched === 1),
        ...countColumns(countJobs(states)),
      });
    }
  }
}

/** True for the errors of an index file that is damaged or not an SQLite database at all. */
export function isDamagedIndexError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

/** True when another process held the index's write lock for longer than the busy timeout. */
export function isBusyIndexError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

// Loaded on first use: importing labrun (as every job's tracking does) must not load a native module.
let sqliteModule: typeof BetterSqlite3 | undefined;
function sqlite(): typeof BetterSqlite3 {
  return (sqliteModule ??= createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3);
}

interface JobRow {
  experiment_dir: string;
  idx: number;
  name: string;
  task: string;
  identity: string;
  dir: string;
  state: string;
  exit_code: number | null;
  attempt: number | null;
  reason: string | null;
  created_at: string | null;
  submitted_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  stamp: string;
}

const countColumnOf = (state: IndexedJobState) => `jobs_${state.toLowerCase()}` as const;

function countColumns(counts: ReturnType<typeof countJobs>): Record<string, number> {
  const columns: Record<string, number> = { jobs_total: counts.total };
  for (const state of indexedJobStates) columns[countColumnOf(state)] = counts[state];
  return columns;
}

/** A job row, its keys in the order of `jobColumns`. */
function jobParams(experimentDir: string, job: IndexedJob) {
  return {
    experiment_dir: experimentDir,
    idx: job.index,
    name: job.name,
    task: job.task,
    identity: job.identity,
    dir: job.dir,
    state: job.state,
    exit_code: job.exitCode ?? null,
    attempt: job.attempt ?? null,
    reason: job.reason ?? null,
    created_at: job.createdAt ?? null,
    submitted_at: job.submittedAt ?? null,
    started_at: job.startedAt ?? null,
    ended_at: job.endedAt ?? null,
    stamp: job.stamp,
    mtime: stampTime(job.stamp),
  };
}

function jobFromRow(row: JobRow): IndexedJob {
  return {
    index: row.idx,
    name: row.name,
    task: row.task,
    identity: row.identity,
    dir: row.dir,
    state: row.state as IndexedJobState,
    ...(row.exit_code === null ? {} : { exitCode: row.exit_code }),
    ...(row.attempt === null ? {} : { attempt: row.attempt }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.created_at === null ? {} : { createdAt: row.created_at }),
    ...(row.submitted_at === null ? {} : { submittedAt: row.submitted_at }),
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
    stamp: row.stamp,
  };
}

/** A row of `listingColumns`, in their order. */
type ListingRow = [
  dir: string,
  id: string,
  title: string,
  host: string,
  user: string,
  gitCommit: string | null,
  gitDirty: number | null,
  gitBranch: string | null,
  createdAt: string,
  launchedAt: string | null,
  finishedAt: string | null,
  state: string,
  total: number,
  ...counts: number[],
];

function listingFromRow(row: ListingRow): ExperimentListing {
  const [dir, id, title, host, user, commit, dirty, branch, createdAt, launchedAt, finishedAt, state, total] =
    row;
  const listing: Record<string, unknown> = {
    dir,
    id,
    title,
    host,
    user,
    git:
      commit === null
        ? null
        : branch === null
          ? { commit, dirty: dirty === 1 }
          : { commit, dirty: dirty === 1, branch },
    createdAt,
  };
  if (launchedAt !== null) listing.launchedAt = launchedAt;
  if (finishedAt !== null) listing.finishedAt = finishedAt;
  listing.state = state;
  listing.jobs = {
    PENDING: row[13]!,
    WAITING: row[14]!,
    SUBMITTED: row[15]!,
    RUNNING: row[16]!,
    COMPLETED: row[17]!,
    FAILED: row[18]!,
    CANCELLED: row[19]!,
    total,
  } satisfies JobCounts;
  return listing as unknown as ExperimentListing;
}

/** Every column of experiments but the stamp, which listings do not need. */
const listingColumns = [
  "dir, id, title, host, user, git_commit, git_dirty, git_branch, created_at, launched_at, finished_at, state",
  ...["total", ...indexedJobStates.map((state) => state.toLowerCase())].map((name) => `jobs_${name}`),
].join(", ");

const jobColumns =
  "experiment_dir, idx, name, task, identity, dir, state, exit_code, attempt, reason, created_at, submitted_at, started_at, ended_at, stamp, mtime";
const finalStates = indexedJobStates.filter(isFinalJobState).map((state) => `'${state}'`);

function prepareStatements(db: BetterSqlite3.Database) {
  const countNames = ["jobs_total", ...indexedJobStates.map(countColumnOf)];
  const experimentColumns = [
    "dir",
    "id",
    "title",
    "host",
    "user",
    "git_commit",
    "git_dirty",
    "git_branch",
    "created_at",
    "launched_at",
    "finished_at",
    "state",
    ...countNames,
    "stamp",
  ];
  return {
    stamps: db.prepare("SELECT dir, stamp, state FROM experiments"),
    stampOf: db.prepare("SELECT stamp FROM experiments WHERE dir = ?").pluck(),
    size: db.prepare("SELECT count(*), sum(jobs_total) FROM experiments").raw(),
    jobAt: db.prepare(`SELECT ${jobColumns} FROM jobs WHERE dir = ? AND experiment_dir = ?`),
    jobsOf: db.prepare(`SELECT ${jobColumns} FROM jobs WHERE experiment_dir = ? ORDER BY idx`),
    unfinishedJobs: db.prepare(
      `SELECT ${jobColumns} FROM jobs WHERE experiment_dir IN
         (SELECT dir FROM experiments WHERE state NOT IN (${finalStates.join(", ")}))
       ORDER BY experiment_dir, idx`,
    ),
    upsertExperiment: db.prepare(
      `INSERT OR REPLACE INTO experiments (${experimentColumns.join(", ")})
       VALUES (${experimentColumns.map((c) => `@${c}`).join(", ")})`,
    ),
    deleteExperiment: db.prepare("DELETE FROM experiments WHERE dir = ?"),
    deleteJobs: db.prepare("DELETE FROM jobs WHERE experiment_dir = ?"),
    insertJob: db.prepare(
      `INSERT OR REPLACE INTO jobs (${jobColumns}) VALUES (${jobColumns
        .split(", ")
        .map(() => "?")
        .join(", ")})`,
    ),
    updateJob: db.prepare(
      `UPDATE jobs SET ${jobColumns
        .split(", ")
        .filter((c) => c !== "experiment_dir" && c !== "idx")
        .map((c) => `${c} = @${c}`)
        .join(", ")} WHERE experiment_dir = @experiment_dir AND idx = @idx`,
    ),
    staleCopies: db.prepare(
      "SELECT DISTINCT experiment_dir FROM jobs WHERE dir = ? AND experiment_dir <> ? AND stamp <> ? AND mtime <= ?",
    ),
    updateCopies: db.prepare(
      `UPDATE jobs SET state = @state, exit_code = @exit_code, attempt = @attempt, reason = @reason,
         created_at = @created_at, submitted_at = @submitted_at, started_at = @started_at, ended_at = @ended_at,
         stamp = @stamp, mtime = @mtime
       WHERE dir = @dir AND experiment_dir <> @experiment_dir AND stamp <> @stamp AND mtime <= @mtime`,
    ),
    launched: db.prepare("SELECT launched_at IS NOT NULL AS launched FROM experiments WHERE dir = ?"),
    jobStates: db.prepare("SELECT state FROM jobs WHERE experiment_dir = ? ORDER BY idx").pluck(),
    updateCounts: db.prepare(
      `UPDATE experiments SET state = @state, ${countNames.map((c) => `${c} = @${c}`).join(", ")} WHERE dir = @dir`,
    ),
  };
}
