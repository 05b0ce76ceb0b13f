import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { experimentIndexReader } from "../../src/experiment/experiment-index.js";
import { experimentState } from "../../src/experiment/experiment-record.js";
import { writeJsonAtomic } from "../../src/util/atomic-file.js";
import { syncIndex, WorkspaceIndex } from "../../src/workspace/index/index.js";
import { ensureBuilt, repoRoot, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("index-write");
});
afterEach(() => ws.cleanup());

interface Row {
  dir: string;
  title: string;
  state: string;
  jobs_total: number;
  jobs_completed: number;
  finished_at: string | null;
}

/** The index's rows as they are: read with SQLite alone, no sync with the files. */
function rows(): Row[] {
  try {
    const db = new Database(join(ws.root, "index.sqlite"), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare(
          "SELECT dir, title, state, jobs_total, jobs_completed, finished_at FROM experiments ORDER BY title",
        )
        .all() as Row[];
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
}

/** What a listing's sync would do now: nothing to read when the writers kept the index current. */
function syncNow() {
  const index = WorkspaceIndex.open(ws.root, { experimentState });
  try {
    return syncIndex(index, ws.root, experimentIndexReader);
  } finally {
    index.close();
  }
}

const gated = join(repoRoot, "test", "fixtures", "experiments", "gated.ts");

const launch = (jobs: number, title: string) =>
  startCli(["run", gated], {
    workspace: ws.root,
    env: { TITLE: title, JOBS: String(jobs), GATE: join(ws.root, `gate-${title}`) },
  });

describe("the workspace index is kept current by labrun's writers", () => {
  it("lists a launched experiment while it runs and its end, with no sync: a listing then reads no file", async () => {
    const run = launch(3, "one");
    // The gate is closed: the experiment cannot have ended, yet its row is there.
    const running = await waitFor("the running experiment's row", () => rows()[0]);
    expect(running).toMatchObject({ title: "one", state: "RUNNING", jobs_total: 3, finished_at: null });
    writeFileSync(join(ws.root, "gate-one"), "");
    expect(await run.exited, run.output().stderr).toBe(0);

    expect(rows()).toEqual([
      expect.objectContaining({
        title: "one",
        state: "COMPLETED",
        jobs_completed: 3,
        finished_at: expect.any(String),
      }),
    ]);
    // The row was written from the files as they are now (experiment.json with finishedAt, every job.json).
    expect(syncNow()).toMatchObject({ experiments: 1, unchanged: 1, updated: 0, added: 0, filesRead: 0 });
  });

  it("two experiments driven at once both keep their rows, and the index stays sound", async () => {
    const runs = [launch(6, "left"), launch(6, "right")];
    await waitFor("both rows", () => rows().length === 2);
    writeFileSync(join(ws.root, "gate-left"), "");
    writeFileSync(join(ws.root, "gate-right"), "");
    for (const run of runs) expect(await run.exited, run.output().stderr).toBe(0);

    expect(rows().map((r) => [r.title, r.state, r.jobs_completed, r.finished_at !== null])).toEqual([
      ["left", "COMPLETED", 6, true],
      ["right", "COMPLETED", 6, true],
    ]);
    expect(syncNow()).toMatchObject({ experiments: 2, unchanged: 2, filesRead: 0 });
    const db = new Database(join(ws.root, "index.sqlite"), { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
  });

  it("still repairs rows when the files change behind its back (edited, copied, removed folders)", async () => {
    writeFileSync(join(ws.root, "gate-one"), "");
    const run = launch(2, "one");
    expect(await run.exited, run.output().stderr).toBe(0);
    const [row] = rows();
    const dir = join(ws.root, row!.dir);
    // Edited in place (an atomic rewrite, as rsync does), copied under another id, and a folder removed.
    const record = JSON.parse(readFileSync(join(dir, "experiment.json"), "utf8")) as Record<string, unknown>;
    writeJsonAtomic(join(dir, "experiment.json"), { ...record, host: "elsewhere" });
    const copy = join(ws.root, "experiments", "one", "one_copy");
    cpSync(dir, copy, { recursive: true });
    writeJsonAtomic(join(copy, "experiment.json"), { ...record, id: "one_copy", host: "copied" });
    const list = () =>
      JSON.parse(runCli(["experiments", "list", "--json"], { workspace: ws.root }).stdout) as {
        id: string;
        host: string;
      }[];
    expect(
      list()
        .map((e) => [e.id, e.host])
        .sort(),
    ).toEqual(
      [
        [record.id as string, "elsewhere"],
        ["one_copy", "copied"],
      ].sort(),
    );
    rmSync(dir, { recursive: true });
    expect(list().map((e) => e.id)).toEqual(["one_copy"]);
    expect(rows().map((r) => r.dir)).toEqual([join("experiments", "one", "one_copy")]);
  });
});
