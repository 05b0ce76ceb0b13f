import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { IndexUnavailableError } from "../errors.js";
import { jobRecordSchema } from "../workspace/job-record.js";
import { readJsonFile } from "../util/atomic-file.js";
import {
  NewerIndexError,
  WorkspaceIndex,
  countJobs,
  indexFileName,
  isBusyIndexError,
  isDamagedIndexError,
  readWorkspace,
  syncExperiment,
  syncIndex,
} from "../workspace/index/index.js";
import type {
  ExperimentFilter,
  ExperimentListing,
  IndexReader,
  IndexedExperiment,
  SyncReport,
} from "../workspace/index/index.js";
import type { Workspace } from "../workspace/workspace.js";
import type { OnRecordWarning } from "../util/record-warning.js";
import { experimentRecordSchema, experimentState } from "./experiment-record.js";
import { experimentFile } from "./experiment-store.js";

// Only what the index keeps is checked: a job.json also holds the launch command, which listings never need.
const indexedExperimentFields = experimentRecordSchema.pick({
  version: true,
  title: true,
  id: true,
  createdAt: true,
  launchedAt: true,
  finishedAt: true,
  host: true,
  user: true,
  git: true,
  jobs: true,
});
const indexedJobFields = jobRecordSchema.pick({
  state: true,
  exitCode: true,
  attempt: true,
  reason: true,
  createdAt: true,
  submittedAt: true,
  startedAt: true,
  endedAt: true,
});

/**
 * Reads experiment.json and job.json for the workspace index, with the experiment layer's schemas (a damaged
 * file throws `CorruptRecordError`, which the sync reports and skips).
 */
export const experimentIndexReader: IndexReader = {
  experiment(dir) {
    const record = readJsonFile(join(dir, experimentFile), indexedExperimentFields);
    if (!record) return undefined;
    const { version: _version, git, jobs, ...fields } = record;
    return {
      ...fields,
      git: git
        ? { commit: git.commit, dirty: git.dirty, ...(git.branch ? { branch: git.branch } : {}) }
        : null,
      jobs: jobs.map(({ index, name, task, dir: jobDir }) => ({ index, name, task, dir: jobDir })),
    };
  },
  job(dir) {
    return readJsonFile(join(dir, "job.json"), indexedJobFields);
  },
};

export interface IndexUseOptions {
  /**
   * Hears every record left out because its file cannot be read, and the index file itself when it was
   * rebuilt or could not be used (default: nowhere).
   */
  readonly onWarning?: OnRecordWarning;
}

/**
 * The experiments of the workspace matching `filter`, oldest first, from the index after bringing it up to
 * date with the files (it is created or rebuilt when missing or damaged). When the index cannot be used (a
 * read-only workspace, a newer labrun's index), the files are read directly: slower, never wrong.
 */
export function listExperiments(
  workspace: Workspace,
  filter: ExperimentFilter = {},
  options: IndexUseOptions = {},
): { readonly experiments: ExperimentListing[]; readonly fromIndex: boolean } {
  if (!existsSync(workspace.experimentsDir)) return { experiments: [], fromIndex: false };
  const warn = options.onWarning ?? (() => undefined);
  try {
    const experiments = withIndex(workspace, warn, (index) => {
      syncIndex(index, workspace.root, experimentIndexReader, { onWarning: warn });
      return index.experiments(filter);
    });
    return { experiments, fromIndex: true };
  } catch (error) {
    if (!(error instanceof IndexUnavailableError)) throw error;
    warn({
      file: error.details.file as string,
      problem:
        `the workspace index cannot be used (${error.details.problem as string}); ` +
        `listed from the experiment folders instead (slower)`,
    });
    return { experiments: listFromFiles(workspace, filter, warn), fromIndex: false };
  }
}

/**
 * Rebuilds the index from the files (`labrun experiments resync`): every record is read again, experiments
 * whose folders are gone are removed, and an index that is damaged or was written by a newer labrun is
 * replaced. Throws `IndexUnavailableError` when the index cannot be written.
 */
export function resyncExperimentIndex(workspace: Workspace, options: IndexUseOptions = {}): SyncReport {
  const warn = options.onWarning ?? (() => undefined);
  if (!existsSync(workspace.root))
    return {
      experiments: 0,
      jobs: 0,
      added: 0,
      updated: 0,
      unchanged: 0,
      removed: 0,
      unreadable: 0,
      filesRead: 0,
    };
  return withIndex(
    workspace,
    warn,
    (index) => syncIndex(index, workspace.root, experimentIndexReader, { full: true, onWarning: warn }),
    { replaceNewer: true },
  );
}

/** Listings straight from the files, without the index. */
export function listFromFiles(
  workspace: Workspace,
  filter: ExperimentFilter = {},
  onWarning?: OnRecordWarning,
): ExperimentListing[] {
  return readWorkspace(workspace.root, experimentIndexReader, onWarning)
    .map(listingOf)
    .filter(
      (e) =>
        (filter.title === undefined || e.title === filter.title) &&
        (filter.host === undefined || e.host === filter.host) &&
        (filter.state === undefined || e.state === filter.state),
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.dir.localeCompare(b.dir));
}

/** What a driver calls to keep its experiment's rows current; `stop` records the last changes. */
export interface DriverIndexing {
  /** Records the changes now (the timer does it every `intervalMs`). */
  flush(): void;
  stop(): void;
}

/**
 * Keeps the index rows of a driven experiment current, off the driver's hot path: every `intervalMs` (1 s),
 * and once more on `stop`, the jobs whose records changed in memory since the last time have their
 * job.json files read again (only those whose stamps changed) and written in one transaction. The index
 * is a cache: when it cannot be written (damaged, locked by another process), this gives up quietly and the
 * next listing catches up from the files.
 */
export function indexWhileDriving(
  workspace: Workspace,
  experimentDir: string,
  jobs: readonly { readonly dir: string; readonly record: object }[],
  options: { readonly intervalMs?: number } = {},
): DriverIndexing {
  let index: WorkspaceIndex | undefined;
  try {
    index = WorkspaceIndex.open(workspace.root, { experimentState, busyTimeoutMs: 100 });
  } catch {
    return { flush: () => undefined, stop: () => undefined };
  }
  const dir = relative(workspace.root, experimentDir);
  let indexed = new Map<string, object>();
  const flush = () => {
    if (!index) return;
    const records = new Map(jobs.map((job) => [job.dir, job.record]));
    const moved = jobs.filter((job) => indexed.get(job.dir) !== job.record);
    try {
      syncExperiment(
        index,
        workspace.root,
        dir,
        experimentIndexReader,
        moved.map((job) => relative(workspace.root, job.dir)),
      );
      indexed = records;
    } catch (error) {
      if (isBusyIndexError(error)) return; // another process is writing: next time
      index.close();
      index = undefined;
    }
  };
  // At once: the experiment is listed from its launch, not from the first tick.
  flush();
  const timer = setInterval(flush, options.intervalMs ?? 1000);
  timer.unref();
  return {
    flush,
    stop() {
      clearInterval(timer);
      // The last changes must not be skipped for a moment's contention (another driver writing its rows).
      index?.setBusyTimeout(finalBusyTimeoutMs);
      flush();
      index?.close();
      index = undefined;
    },
  };
}

const finalBusyTimeoutMs = 5000;

/**
 * Brings one experiment's index rows up to date now, after its driver rewrote experiment.json (its end):
 * the file is read again, and only the job files whose stamps changed. Returns false, quietly, when the
 * index cannot be written (a cache: the next listing reads the file instead).
 */
export function indexExperiment(workspace: Workspace, experimentDir: string): boolean {
  let index: WorkspaceIndex | undefined;
  try {
    index = WorkspaceIndex.open(workspace.root, { experimentState, busyTimeoutMs: finalBusyTimeoutMs });
    syncExperiment(index, workspace.root, relative(workspace.root, experimentDir), experimentIndexReader, []);
    return true;
  } catch {
    return false;
  } finally {
    index?.close();
  }
}

function listingOf(experiment: IndexedExperiment): ExperimentListing {
  const { jobs, stamp: _stamp, ...fields } = experiment;
  const states = jobs.map((job) => job.state);
  return {
    ...fields,
    state: experimentState(states, fields.launchedAt !== undefined),
    jobs: countJobs(states),
  };
}

/**
 * Runs `use` on the open index. A damaged index file (or, with `replaceNewer`, one of a newer labrun) is
 * deleted and `use` runs on a new one, which it fills from the files. Throws `IndexUnavailableError` when
 * the index cannot be used.
 */
function withIndex<T>(
  workspace: Workspace,
  warn: OnRecordWarning,
  use: (index: WorkspaceIndex) => T,
  options: { readonly replaceNewer?: boolean } = {},
): T {
  const file = join(workspace.root, indexFileName);
  for (let attempt = 0; ; attempt++) {
    let index: WorkspaceIndex | undefined;
    try {
      index = WorkspaceIndex.open(workspace.root, { experimentState });
      return use(index);
    } catch (error) {
      index?.close();
      const message = (error as Error).message;
      const newer = error instanceof NewerIndexError;
      if (attempt === 0 && (isDamagedIndexError(error) || (newer && options.replaceNewer))) {
        warn({
          file,
          problem: newer
            ? `the workspace index was written by a newer labrun (${message}); rebuilt for this one`
            : `the workspace index was damaged (${message}); rebuilt from the experiment folders`,
        });
        WorkspaceIndex.discard(workspace.root);
        continue;
      }
      if (newer) throw new IndexUnavailableError(file, `it was written by a newer labrun (${message})`);
      const code = (error as { code?: unknown }).code;
      if (isBusyIndexError(error) || (typeof code === "string" && code.startsWith("SQLITE_")))
        throw new IndexUnavailableError(file, message);
      throw error;
    } finally {
      index?.close();
    }
  }
}
