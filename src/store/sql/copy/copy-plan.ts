import type { SqlExecutor } from "../sql-driver.js";
import type { Row } from "./copy-rows.js";
import { allIn, differingColumns, sameRow } from "./copy-rows.js";

/** A run of the source to copy, and the target runs it replaces (`--force`). */
export interface PlannedRun {
  readonly id: string;
  readonly replace: readonly string[];
}

/** What a copy will do, found before anything is written. */
export interface CopyPlan {
  /** Source runs, in id order: to copy (absent from the target, or replacing a conflict). */
  readonly runs: readonly PlannedRun[];
  /** Source runs already in the target, identical: nothing to do (an earlier copy). */
  readonly alreadyCopied: number;
  readonly totalRuns: number;
  /** Tokens to copy, with the target token ids they replace. */
  readonly tokens: readonly { readonly row: Row; readonly replace: readonly string[] }[];
  readonly tokensAlreadyCopied: number;
  /** What differs between source and target under the same ids (refused unless forced). */
  readonly conflicts: readonly string[];
}

const page = 1_000;

/**
 * Compares the source with the target: a run the target holds with an identical `runs` row was copied
 * before (a run is copied in one transaction, and every write to a run changes its row: `updated_at`,
 * `log_count`, `latest`); a different row, or another live run at the same prefix, is a conflict.
 */
export async function planCopy(source: SqlExecutor, target: SqlExecutor): Promise<CopyPlan> {
  const runs: PlannedRun[] = [];
  const conflicts: string[] = [];
  let alreadyCopied = 0;
  let totalRuns = 0;
  for (let after = ""; ;) {
    const rows = await source.all(`SELECT * FROM runs WHERE id > ? ORDER BY id LIMIT ${page}`, [after]);
    if (rows.length === 0) break;
    totalRuns += rows.length;
    after = rows[rows.length - 1]!.id as string;
    const ids = rows.map((row) => row.id as string);
    const existing = new Map(
      (await allIn(target, "SELECT * FROM runs WHERE id IN", ids)).map((row) => [row.id as string, row]),
    );
    const livePrefixes = rows.filter((row) => Number(row.deleted) === 0).map((row) => row.prefix as string);
    const byPrefix = new Map(
      (
        await allIn<{ id: string; prefix: string }>(
          target,
          "SELECT id, prefix FROM runs WHERE deleted = 0 AND prefix IN",
          livePrefixes,
        )
      ).map((row) => [row.prefix, row.id]),
    );
    for (const row of rows) {
      const id = row.id as string;
      const replace: string[] = [];
      const same = existing.get(id);
      if (same) {
        if (sameRow(row, same)) {
          alreadyCopied++;
          continue;
        }
        conflicts.push(
          `run ${id} (${row.prefix as string}) differs: ${differingColumns(row, same).join(", ")}`,
        );
        replace.push(id);
      }
      const clash = Number(row.deleted) === 0 ? byPrefix.get(row.prefix as string) : undefined;
      if (clash !== undefined && clash !== id) {
        conflicts.push(
          `prefix ${row.prefix as string} is run ${clash} in the target, run ${id} in the source`,
        );
        replace.push(clash);
      }
      runs.push({ id, replace });
    }
  }
  const tokens: { row: Row; replace: string[] }[] = [];
  let tokensAlreadyCopied = 0;
  const targetTokens = await target.all(`SELECT * FROM auth_tokens`);
  const byId = new Map(targetTokens.map((row) => [row.id as string, row]));
  const byHash = new Map(targetTokens.map((row) => [row.token_hash as string, row.id as string]));
  for (const row of await source.all(`SELECT * FROM auth_tokens ORDER BY id`)) {
    const same = byId.get(row.id as string);
    if (same && sameRow(row, same)) {
      tokensAlreadyCopied++;
      continue;
    }
    const replace: string[] = [];
    if (same) {
      conflicts.push(`token ${row.id as string} differs: ${differingColumns(row, same).join(", ")}`);
      replace.push(row.id as string);
    }
    const clash = byHash.get(row.token_hash as string);
    if (clash !== undefined && clash !== row.id) {
      conflicts.push(`token ${row.id as string}'s secret is token ${clash} in the target`);
      replace.push(clash);
    }
    tokens.push({ row, replace });
  }
  return { runs, alreadyCopied, totalRuns, tokens, tokensAlreadyCopied, conflicts };
}
