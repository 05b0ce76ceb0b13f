import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServerStore, openStore } from "../../src/store/open-store.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { storeContract } from "../../src/testing/store-contract.js";
import { codeOf } from "../../src/testing/store-contract/context.js";
import { startTestPostgres } from "./postgres-setup.js";

// The server comes from test/store/postgres-setup.ts (vitest globalSetup) or from LABRUN_TEST_PG_URL.
const serverUrl = process.env.LABRUN_TEST_PG_URL;
const skip = serverUrl ? false : "no PostgreSQL server (LABRUN_TEST_BACKENDS leaves postgres out)";

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const created: string[] = [];
async function freshDatabase(): Promise<string> {
  const name = `labrun_store_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  created.push(name);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

afterAll(async () => {
  if (!serverUrl) return;
  for (const name of created)
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
});

describe.skipIf(skip !== false)(`PostgresStore${skip ? ` (skipped: ${skip})` : ""}`, () => {
  storeContract({ name: "postgres", create: async () => openServerStore(await freshDatabase()) });

  describe("schema", () => {
    let url = "";
    beforeAll(async () => {
      url = await freshDatabase();
    });

    it("applies migrations once, also when two servers open the database at the same time", async () => {
      const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
      expect(await a.schemaVersions()).toEqual([1, 2]);
      expect(await b.schemaVersions()).toEqual([1, 2]);
      const run = await a.upsertRun({ prefix: "alice/vision/r" });
      expect((await b.getRun(run.id))!.prefix).toBe("alice/vision/r");
      await a.close();
      await b.close();
      expect(await codeOf(a.getRun(run.id))).toBe("STORE_CLOSED");
    });

    it("keeps the data across a reopen and refuses a database from a newer labrun", async () => {
      const store = await openStore(url);
      const run = await store.upsertRun({ prefix: "alice/vision/kept" });
      await store.close();
      const again = await openStore(url);
      expect((await again.getRunByPrefix("alice/vision/kept"))!.id).toBe(run.id);
      await again.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')",
      );
      await client.end();
      expect(await codeOf(PostgresStore.open(url))).toBe("STORE_SCHEMA");
    });

    it("turns a lost server into STORE_UNAVAILABLE, not a crash or a raw driver error", async () => {
      const own = await startTestPostgres({ fast: true });
      const store = await openServerStore(await own.createDatabase());
      const run = await store.upsertRun({ prefix: "alice/vision/lost" });
      await own.stop();
      expect(await codeOf(store.applyBatch(run.id, { clientId: "c", seq: 1, params: { a: 1 } }))).toBe(
        "STORE_UNAVAILABLE",
      );
      expect(await codeOf(store.getRun(run.id))).toBe("STORE_UNAVAILABLE");
      await store.close();
    });

    it("says what to do when the server cannot be reached", async () => {
      expect(await codeOf(openStore("postgres://nobody@127.0.0.1:1/db"))).toBe("STORE_UNAVAILABLE");
    });
  });
});
