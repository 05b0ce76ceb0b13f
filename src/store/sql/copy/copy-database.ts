import { StoreCopyConflictError } from "../../../errors.js";
import type { CopyDatabase, CopySource } from "./copy-databases.js";
import { checkSourceTables } from "./copy-databases.js";
import type { CopyPlan } from "./copy-plan.js";
import { planCopy } from "./copy-plan.js";
import type { Row } from "./copy-rows.js";
import { insertRows } from "./copy-rows.js";
import { copyRun } from "./copy-run.js";

/** How far a copy is. */
export interface CopyProgress {
  readonly runsDone: number;
  /** Runs to copy now (the ones an earlier copy finished are left out). */
  readonly runsToCopy: number;
  readonly points: number;
  readonly logs: number;
  readonly files: number;
  readonly elapsedMs: number;
}

export interface CopyDatabaseOptions {
  /** Replace what differs in the target under the source's ids instead of refusing. */
  readonly force?: boolean;
  /** Called before a run's rows are written, with its file rows (to copy their bytes first). */
  readonly beforeRun?: (files: readonly Row[]) => Promise<void>;
  /** Called after each run is committed. */
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** What a copy did. */
export interface CopyDatabaseResult extends CopyProgress {
  readonly plan: CopyPlan;
  readonly tokens: number;
}

/**
 * Copies a server database (runs with all their rows, tokens) into another, run by run, each run in one
 * target transaction: killed at any point, the target holds whole runs only, and the next copy skips the
 * runs found identical and copies the rest. Refuses (StoreCopyConflictError, before writing anything) when
 * the target holds other data under the source's ids, unless `force`.
 */
export async function copyDatabase(
  source: CopySource,
  target: CopyDatabase,
  options: CopyDatabaseOptions = {},
): Promise<CopyDatabaseResult> {
  await checkSourceTables(source);
  const plan = await planCopy(source.snapshot, target.driver);
  if (plan.conflicts.length > 0 && !options.force)
    throw new StoreCopyConflictError(target.where, plan.conflicts);
  const started = Date.now();
  // Tokens first (a few rows): a target that is being filled already accepts the source's tokens.
  await target.driver.transaction(async (tx) => {
    for (const { row, replace } of plan.tokens) {
      for (const id of replace) await tx.run(`DELETE FROM auth_tokens WHERE id = ?`, [id]);
      await insertRows(tx, "auth_tokens", [row]);
    }
  });
  let points = 0;
  let logs = 0;
  let files = 0;
  let runsDone = 0;
  const progress = (): CopyProgress => ({
    runsDone,
    runsToCopy: plan.runs.length,
    points,
    logs,
    files,
    elapsedMs: Date.now() - started,
  });
  for (const planned of plan.runs) {
    const [run] = await source.snapshot.all(`SELECT * FROM runs WHERE id = ?`, [planned.id]);
    if (options.beforeRun) {
      await options.beforeRun(
        await source.snapshot.all(`SELECT * FROM run_files WHERE run_id = ?`, [planned.id]),
      );
    }
    const counts = await target.driver.transaction((tx) =>
      copyRun(source.snapshot, tx, run!, planned.replace),
    );
    points += counts.points;
    logs += counts.logs;
    files += counts.files;
    runsDone++;
    options.onProgress?.(progress());
  }
  return { ...progress(), plan, tokens: plan.tokens.length };
}
