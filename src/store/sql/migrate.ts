import { StoreSchemaError } from "../../errors.js";
import type { Migration } from "./schema.js";
import type { SqlDriver } from "./sql-driver.js";

/**
 * Brings the database to the latest schema version: creates `schema_migrations` when missing, then applies
 * each newer migration in its own transaction and records it. Refuses a database written by a newer labrun.
 * Returns the versions applied now.
 */
export async function migrate(driver: SqlDriver, steps: readonly Migration[]): Promise<number[]> {
  return driver.withMigrationLock(async () => {
    await driver.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    const rows = await driver.all<{ version: number | string }>(`SELECT version FROM schema_migrations`);
    const applied = new Set(rows.map((row) => Number(row.version)));
    const latest = steps.reduce((max, step) => Math.max(max, step.version), 0);
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new StoreSchemaError(
        `The database has schema version ${newest}, newer than this labrun knows (${latest}). ` +
          "Upgrade labrun (or open a database made by this version).",
        { details: { databaseVersion: newest, knownVersion: latest } },
      );
    }
    const done: number[] = [];
    for (const step of [...steps].sort((a, b) => a.version - b.version)) {
      if (applied.has(step.version)) continue;
      try {
        await driver.transaction(async (tx) => {
          for (const statement of step.statements(driver.dialect)) await tx.run(statement);
          await step.backfill?.(tx);
          await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [
            step.version,
            step.name,
            new Date().toISOString(),
          ]);
        });
      } catch (error) {
        throw new StoreSchemaError(
          `Schema migration ${step.version} (${step.name}) failed: ${(error as Error).message}. ` +
            "Nothing of it was applied; fix the cause (disk full? permissions?) and start again.",
          { cause: error, details: { version: step.version } },
        );
      }
      done.push(step.version);
    }
    return done;
  });
}
