import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openServerStore, openStore } from "../../src/store/open-store.js";
import { migrate } from "../../src/store/sql/migrate.js";
import { migrations } from "../../src/store/sql/schema.js";
import { SqliteDriver } from "../../src/store/sqlite/sqlite-driver.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { storeContract } from "../../src/testing/store-contract.js";
import { codeOf } from "../../src/testing/store-contract/context.js";

const dir = mkdtempSync(join(tmpdir(), "labrun-sqlite-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract({ name: "sqlite", create: () => openServerStore(`sqlite:${join(dir, "contract.db")}`) });

describe("SqliteStore", () => {
  it("keeps everything in one WAL-mode file that survives a reopen", async () => {
    const file = join(dir, "reopen.db");
    const store = await openServerStore(`sqlite:${file}`);
    const run = await store.upsertRun({ prefix: "alice/vision/r" });
    await store.applyBatch(run.id, {
      clientId: "c",
      seq: 1,
      params: { lr: 0.1 },
      metrics: [{ stream: "train", points: [{ ts: 1, fields: { loss: 1 } }] }],
    });
    await store.close();
    expect(await codeOf(store.getRun(run.id))).toBe("STORE_CLOSED");
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    db.close();
    const again = await openStore(`sqlite://${file}`);
    expect(await again.getParams(run.id)).toEqual({ lr: 0.1 });
    expect((await again.readMetrics(run.id, "train")).count).toBe(1);
    await again.close();
  });

  it("applies migrations once and refuses a database from a newer labrun", async () => {
    const file = join(dir, "newer.db");
    const store = await SqliteStore.open(file);
    expect(await store.schemaVersions()).toEqual([1, 2]);
    await store.close();
    const reopened = await SqliteStore.open(file);
    expect(await reopened.schemaVersions()).toEqual([1, 2]);
    await reopened.close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')").run();
    db.close();
    expect(await codeOf(SqliteStore.open(file))).toBe("STORE_SCHEMA");
  });

  it("fills run_latest from the runs of a version-1 database when it migrates (metric sorts see them)", async () => {
    const file = join(dir, "v1.db");
    const driver = new SqliteDriver(file);
    await migrate(driver, migrations.slice(0, 1));
    const insert = (id: string, latest: string) =>
      driver.run(
        `INSERT INTO runs (id, prefix, owner, project, name, status, tags, bindrs, metadata, created_at, updated_at, latest)
         VALUES (?, ?, 'alice', 'v1', ?, 'COMPLETED', '[]', '[]', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?)`,
        [id, `alice/v1/${id}`, id, latest],
      );
    await insert("a", '{"train.loss":0.5,"eval.acc":NaN}');
    await insert("b", '{"train.loss":0.25,"note":"x"}');
    await insert("c", '{"eval.acc":1}');
    await driver.close();
    const store = await SqliteStore.open(file);
    expect(await store.schemaVersions()).toEqual([1, 2]);
    const page = await store.searchRuns({ prefix: "alice/v1", sort: "metric:train.loss" });
    expect(page.runs.map((run) => run.id)).toEqual(["b", "a", "c"]);
    const byAcc = await store.searchRuns({ prefix: "alice/v1", sort: "metric:eval.acc", order: "desc" });
    expect(byAcc.runs.map((run) => run.id)).toEqual(["c", "b", "a"]);
    await store.close();
  });

  it("says the database cannot be opened where the file cannot be created", async () => {
    const notADir = join(dir, "plain-file");
    writeFileSync(notADir, "x");
    expect(await codeOf(openStore(`sqlite:${notADir}/sub/labrun.db`))).toBe("STORE_UNAVAILABLE");
  });

  it("rejects URIs that name no store", async () => {
    expect(await codeOf(openStore("mysql://localhost/db"))).toBe("STORE_URI");
    expect(await codeOf(openStore("sqlite:"))).toBe("STORE_URI");
    expect(await codeOf(openStore("no-scheme"))).toBe("STORE_URI");
    expect(await codeOf(openServerStore("http://127.0.0.1:1"))).toBe("STORE_URI");
  });
});
