import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  copiedTables,
  listTables,
  openCopyDatabase,
  uncopiedTables,
} from "../../src/store/sql/copy/index.js";
import { runCli } from "../helpers.js";
import { serverBackends, testDatabase } from "../server/helpers.js";

describe("labrun store copy knows every table of the server's schema", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "labrun-copy-tables-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each(serverBackends())("on %s: each table is copied or deliberately left out", async (backend) => {
    // A table added by a migration without teaching the copy about it fails here (and the copy refuses it).
    const db = await testDatabase(backend, dir);
    try {
      const opened = await openCopyDatabase(db.uri, "target");
      const tables = await listTables(opened.driver, opened.driver.dialect);
      await opened.driver.close();
      expect(tables).toEqual([...copiedTables, ...uncopiedTables].sort());
    } finally {
      await db.cleanup();
    }
  });

  it("refuses a source holding a table it cannot copy, before writing anything", async () => {
    const source = join(dir, "source.db");
    const opened = await openCopyDatabase(`sqlite:${source}`, "target");
    await opened.driver.close();
    const raw = new Database(source);
    raw.exec("CREATE TABLE newer_things (id TEXT PRIMARY KEY)");
    raw.close();
    const result = runCli(
      ["store", "copy", "--from", `sqlite:${source}`, "--to", `sqlite:${join(dir, "target.db")}`],
      { workspace: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[STORE_SCHEMA]");
    expect(result.stderr).toContain("newer_things");
  });
});
