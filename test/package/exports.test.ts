import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, repoRoot } from "../helpers.js";

// The package as users import it: the built files through package.json "exports", in a fresh process.

/** Runs an ES module script in a fresh Node process at the repository root (so `labrun` resolves to itself). */
function runModule(script: string): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

// What a process has loaded of better-sqlite3: its JavaScript (require cache) and its native library.
const loadedSqlite = `
  import { createRequire } from "node:module";
  function loadedSqlite() {
    const cache = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("better-sqlite3"));
    const native = (process.report.getReport().sharedObjects ?? []).filter((f) => f.includes("better_sqlite3"));
    return { js: cache.length > 0, native: native.length > 0 };
  }
`;

describe("package exports", () => {
  beforeAll(() => ensureBuilt());

  it('import "labrun" and "labrun/store" load no native driver; opening a SQLite store does', () => {
    const dir = mkdtempSync(join(tmpdir(), "labrun-exports-"));
    try {
      const result = runModule(`
        ${loadedSqlite}
        const root = await import("labrun");
        const afterRoot = loadedSqlite();
        const store = await import("labrun/store");
        const afterStore = loadedSqlite();
        const opened = await store.openStore(${JSON.stringify(`sqlite:${join(dir, "x.db")}`)});
        const afterOpen = loadedSqlite();
        await opened.close();
        console.log(JSON.stringify({ afterRoot, afterStore, afterOpen, experiment: typeof root.Experiment }));
      `);
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toEqual({
        afterRoot: { js: false, native: false },
        afterStore: { js: false, native: false },
        afterOpen: { js: true, native: true },
        experiment: "function",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the root export is the user-facing API; the rest is under subpaths", () => {
    const result = runModule(`
      const root = await import("labrun");
      const sub = {};
      // labrun/testing needs a running vitest: not imported here.
      for (const name of ["store", "tracking", "plan", "extend", "server"])
        sub[name] = Object.keys(await import("labrun/" + name));
      console.log(JSON.stringify({ root: Object.keys(root), sub }));
    `);
    expect(result.stderr).toBe("");
    const { root, sub } = JSON.parse(result.stdout) as { root: string[]; sub: Record<string, string[]> };
    for (const name of [
      "Experiment",
      "defineTask",
      "Script",
      "Partial",
      "LocalExecutor",
      "SlurmExecutor",
      "Run",
    ])
      expect(root).toContain(name);
    expect(root).toContain("LabrunError");
    for (const name of [
      "SqliteStore",
      "openStore",
      "storeLimits",
      "canonicalJson",
      "registerTaskKind",
      "runPlan",
    ])
      expect(root).not.toContain(name);
    expect(sub.store).toEqual(
      expect.arrayContaining(["openStore", "openServerStore", "SqliteStore", "HttpStore"]),
    );
    expect(sub.extend).toEqual(
      expect.arrayContaining(["registerTaskKind", "registerExecutorKind", "canonicalJson"]),
    );
    expect(sub.plan).toEqual(expect.arrayContaining(["parsePlan", "runPlan", "typedTaskIdentity"]));
    expect(sub.tracking).toEqual(
      expect.arrayContaining(["Run", "RunReader", "flattenParams", "parsePrefix"]),
    );
    expect(sub.server).toContain("createServer");
  });
});
