import pg from "pg";
import type { SqlDriver, SqlExecutor } from "../sql/sql-driver.js";

/** Options of the PostgreSQL connection pool. */
export interface PostgresDriverOptions {
  /** Connections in the pool (default 20). */
  readonly maxConnections?: number;
}

// Deadlocks and serialization failures are safe to retry: a transaction writes nothing outside the database.
const retryable = new Set(["40P01", "40001"]);

const ignore = () => undefined;

/** node-postgres behind the `SqlDriver`: a pool, `?` placeholders turned into `$1, $2, …`. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  readonly pool: pg.Pool;
  #texts = new Map<string, string>();

  constructor(connectionString: string, options: PostgresDriverOptions = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 20,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          // BIGINT (counts, indices) as numbers: they stay far below 2^53.
          oid === 20
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    this.pool.on("error", () => undefined);
  }

  #text(sql: string): string {
    let text = this.#texts.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      this.#texts.set(sql, text);
    }
    return text;
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(this.#text(sql), params as unknown[]);
    return result.rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.pool.query(this.#text(sql), params as unknown[]);
    return result.rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#checkout();
      const tx: SqlExecutor = {
        all: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(this.#text(sql), params as unknown[])).rows as R[],
        run: async (sql: string, params: readonly unknown[] = []) =>
          (await client.query(this.#text(sql), params as unknown[])).rowCount ?? 0,
      };
      try {
        await client.query("BEGIN");
        const result = await fn(tx);
        await client.query("COMMIT");
        this.#release(client);
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        // An error the server reported (it has a SQLSTATE) leaves the connection usable; any other may not.
        const reported =
          typeof (error as { code?: unknown }).code === "string" &&
          /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
        this.#release(client, reported ? undefined : (error as Error));
        if (attempt < 5 && retryable.has((error as { code?: string }).code ?? "")) continue;
        throw error;
      }
    }
  }

  async withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    const client = await this.#checkout();
    try {
      // Two servers starting on one database migrate one after the other.
      await client.query("SELECT pg_advisory_lock(7243001)");
      return await fn();
    } finally {
      await client.query("SELECT pg_advisory_unlock(7243001)").catch(() => undefined);
      this.#release(client);
    }
  }

  // A checked-out client whose connection is lost between two queries (a PostgreSQL restart) emits "error":
  // unhandled, it would end the process. The next query on it fails, and that failure is what is reported.
  async #checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    client.on("error", ignore);
    return client;
  }

  #release(client: pg.PoolClient, error?: Error): void {
    client.off("error", ignore);
    client.release(error);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
