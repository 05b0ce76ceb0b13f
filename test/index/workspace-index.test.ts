import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  experimentIndexReader,
  indexWhileDriving,
  listExperiments,
  resyncExperimentIndex,
} from "../../src/experiment/experiment-index.js";
import { experimentState } from "../../src/experiment/experiment-record.js";
import {
  NewerIndexError,
  WorkspaceIndex,
  isDamagedIndexError,
  schemaVersion,
  syncIndex,
} from "../../src/workspace/index/index.js";
import { Workspace } from "../../src/workspace/workspace.js";
import { tempWorkspace } from "../helpers.js";
import { setJobState, writeFakeExperiment } from "./fake-workspace.js";

let ws: ReturnType<typeof tempWorkspace>;
let index: WorkspaceIndex | undefined;
beforeEach(() => {
  ws = tempWorkspace("index");
});
afterEach(() => {
  index?.close();
  index = undefined;
  ws.cleanup();
});

const open = () => (index = WorkspaceIndex.open(ws.root, { experimentState }));
const sync = (full = false) => syncIndex(index!, ws.root, experimentIndexReader, { full });
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();

describe("WorkspaceIndex", () => {
  it("creates index.sqlite in WAL mode at the current schema version, and reopens it as is", () => {
    open().close();
    const db = new Database(join(ws.root, "index.sqlite"));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(schemaVersion);
    db.close();
    expect(open().size()).toEqual({ experiments: 0, jobs: 0 });
  });

  it("refuses an index written by a newer labrun, and says a damaged file is damaged", () => {
    open().close();
    const db = new Database(join(ws.root, "index.sqlite"));
    db.pragma(`user_version = ${schemaVersion + 1}`);
    db.close();
    expect(() => open()).toThrow(NewerIndexError);
    index = undefined;
    WorkspaceIndex.discard(ws.root);
    writeFileSync(join(ws.root, "index.sqlite"), "this is not a database, just some bytes ".repeat(200));
    let error: unknown;
    try {
      open();
    } catch (caught) {
      error = caught;
    }
    expect(isDamagedIndexError(error)).toBe(true);
    index = undefined;
  });

  it("indexes every experiment with host, git, times, state and job counts; filters and sorts them", () => {
    writeFakeExperiment(ws.root, {
      title: "b",
      id: "b_1",
      host: "gpu-1",
      createdAt: at(2),
      jobs: ["COMPLETED", "FAILED"],
      finished: true,
    });
    writeFakeExperiment(ws.root, {
      title: "a",
      id: "a_1",
      host: "gpu-2",
      createdAt: at(1),
      jobs: ["COMPLETED", "RUNNING", "PENDING"],
    });
    writeFakeExperiment(ws.root, {
      title: "a",
      id: "a_2",
      host: "gpu-1",
      createdAt: at(3),
      jobs: ["COMPLETED"],
      finished: true,
    });
    open();
    expect(sync()).toMatchObject({ experiments: 3, jobs: 6, added: 3, removed: 0, filesRead: 9 });
    const all = index!.experiments();
    expect(all.map((e) => e.id)).toEqual(["a_1", "b_1", "a_2"]);
    expect(all[0]).toMatchObject({
      title: "a",
      host: "gpu-2",
      user: "tester",
      state: "RUNNING",
      dir: join("experiments", "a", "a_1"),
      git: { commit: "0123456789abcdef0123456789abcdef01234567", dirty: false, branch: "main" },
      jobs: { total: 3, COMPLETED: 1, RUNNING: 1, PENDING: 1, FAILED: 0 },
    });
    expect(all[1]).toMatchObject({ state: "FAILED", finishedAt: at(2), jobs: { total: 2, FAILED: 1 } });
    expect(index!.experiments({ title: "a" }).map((e) => e.id)).toEqual(["a_1", "a_2"]);
    expect(index!.experiments({ host: "gpu-1" }).map((e) => e.id)).toEqual(["b_1", "a_2"]);
    expect(index!.experiments({ state: "COMPLETED" }).map((e) => e.id)).toEqual(["a_2"]);
    expect(index!.experiments({ title: "a", host: "gpu-1" }).map((e) => e.id)).toEqual(["a_2"]);
    expect(
      index!.jobs(join("experiments", "a", "a_1")).map((j) => [j.index, j.name, j.task, j.state]),
    ).toEqual([
      [0, "step-0", "step", "COMPLETED"],
      [1, "step-1", "step", "RUNNING"],
      [2, "step-2", "step", "PENDING"],
    ]);
  });

  it("reads only what changed: nothing when nothing did, the one job file that moved, a new experiment", () => {
    const running = writeFakeExperiment(ws.root, {
      title: "a",
      id: "a_1",
      createdAt: at(1),
      jobs: ["COMPLETED", "RUNNING", "PENDING"],
    });
    for (let i = 0; i < 5; i++)
      writeFakeExperiment(ws.root, {
        title: "done",
        id: `done_${i}`,
        createdAt: at(2 + i),
        jobs: ["COMPLETED", "COMPLETED"],
        finished: true,
      });
    open();
    expect(sync().filesRead).toBe(4 + 5 * 3);
    expect(sync()).toMatchObject({ filesRead: 0, unchanged: 6, updated: 0, added: 0 });
    setJobState(ws.root, running.jobDirs[1]!, "COMPLETED");
    expect(sync()).toMatchObject({ filesRead: 1, updated: 1 });
    expect(index!.experiments({ title: "a" })[0]!.jobs).toMatchObject({
      COMPLETED: 2,
      RUNNING: 0,
      PENDING: 1,
    });
    writeFakeExperiment(ws.root, { title: "c", id: "c_1", createdAt: at(9), jobs: ["PENDING"] });
    expect(sync()).toMatchObject({ added: 1, filesRead: 2, experiments: 7 });
  });

  it("reads experiment.json again when it changes, keeping the job rows whose files did not", () => {
    const { dir } = writeFakeExperiment(ws.root, {
      title: "a",
      id: "a_1",
      host: "old-host",
      jobs: ["COMPLETED", "RUNNING"],
    });
    open();
    sync();
    const file = join(dir, "experiment.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"old-host"', '"new-host"'));
    expect(sync()).toMatchObject({ updated: 1, filesRead: 1 });
    expect(index!.experiments()[0]).toMatchObject({ host: "new-host", jobs: { COMPLETED: 1, RUNNING: 1 } });
  });

  it("forgets experiments whose folders are gone, and skips folders without experiment.json", () => {
    const gone = writeFakeExperiment(ws.root, { title: "a", id: "a_1", jobs: ["COMPLETED"], finished: true });
    writeFakeExperiment(ws.root, { title: "a", id: "a_2", jobs: ["COMPLETED"], finished: true });
    open();
    sync();
    rmSync(gone.dir, { recursive: true });
    rmSync(join(ws.root, "experiments", "a", "a_2", "experiment.json"));
    expect(sync()).toMatchObject({ removed: 2, experiments: 0, jobs: 0 });
  });

  it("carries a shared job's newer state to every experiment that uses it, never an older one", () => {
    const shared = join("jobs", "prep", "f".repeat(64));
    const first = writeFakeExperiment(ws.root, {
      title: "a",
      id: "a_1",
      jobs: ["COMPLETED"],
      sharedJobs: { 0: shared },
      finished: true,
    });
    writeFakeExperiment(ws.root, {
      title: "b",
      id: "b_1",
      jobs: ["COMPLETED", "RUNNING"],
      sharedJobs: { 0: shared },
    });
    open();
    sync();
    expect(index!.experiments().map((e) => e.state)).toEqual(["COMPLETED", "RUNNING"]);
    // Experiment b runs the shared job again (forced): a, finished, is not looked at, yet follows.
    setJobState(ws.root, shared, "RUNNING");
    sync();
    expect(index!.experiments().map((e) => [e.id, e.state, e.jobs.RUNNING])).toEqual([
      ["a_1", "RUNNING", 1],
      ["b_1", "RUNNING", 2],
    ]);
    // An older record of the job (read before the re-run) does not overwrite the newer one.
    const old = index!.jobs(join("experiments", "a", "a_1"))[0]!;
    index!.recordJobs(join("experiments", "b", "b_1"), [{ ...old, state: "COMPLETED", stamp: "1:1:1" }]);
    expect(index!.jobs(join("experiments", "a", "a_1"))[0]!.state).toBe("RUNNING");
    expect(first.jobDirs[0]).toBe(shared);
  });

  it("resync re-reads everything and replaces the rows", () => {
    writeFakeExperiment(ws.root, { title: "a", id: "a_1", host: "h1", jobs: ["COMPLETED"], finished: true });
    open();
    sync();
    expect(sync(true)).toMatchObject({ experiments: 1, jobs: 1, added: 0, updated: 1, filesRead: 2 });
  });
});

describe("listExperiments and resyncExperimentIndex", () => {
  it("list from a missing workspace is empty and creates nothing", () => {
    const workspace = new Workspace(join(ws.root, "missing"));
    expect(listExperiments(workspace).experiments).toEqual([]);
    expect(resyncExperimentIndex(workspace).experiments).toBe(0);
  });

  it("rebuilds a damaged index with a warning, and lists from the files when the index is a newer labrun's", () => {
    writeFakeExperiment(ws.root, {
      title: "a",
      id: "a_1",
      host: "h1",
      jobs: ["COMPLETED", "FAILED"],
      finished: true,
    });
    const workspace = new Workspace(ws.root);
    writeFileSync(join(ws.root, "index.sqlite"), Buffer.alloc(8192, 7));
    const warnings: string[] = [];
    const listed = listExperiments(
      workspace,
      {},
      { onWarning: (w) => warnings.push(`${w.file}: ${w.problem}`) },
    );
    expect(listed).toMatchObject({ fromIndex: true, experiments: [{ id: "a_1", state: "FAILED" }] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/index\.sqlite: the workspace index was damaged .*rebuilt/);
    expect(open().size()).toEqual({ experiments: 1, jobs: 2 });
    index!.close();
    index = undefined;

    const db = new Database(join(ws.root, "index.sqlite"));
    db.pragma(`user_version = ${schemaVersion + 1}`);
    db.close();
    warnings.length = 0;
    const fromFiles = listExperiments(
      workspace,
      { host: "h1" },
      { onWarning: (w) => warnings.push(`${w.file}: ${w.problem}`) },
    );
    expect(fromFiles).toMatchObject({
      fromIndex: false,
      experiments: [{ id: "a_1", jobs: { FAILED: 1, total: 2 } }],
    });
    expect(warnings[0]).toMatch(/newer labrun.*listed from the experiment folders/);
    // resync replaces it with this version's.
    expect(
      resyncExperimentIndex(workspace, { onWarning: (w) => warnings.push(`${w.file}: ${w.problem}`) }),
    ).toMatchObject({
      experiments: 1,
    });
    expect(listExperiments(workspace).fromIndex).toBe(true);
  });
});

describe("indexWhileDriving", () => {
  it("writes the experiment at its first flush, then the jobs that moved, and the last changes on stop", () => {
    const { dir, jobDirs } = writeFakeExperiment(ws.root, {
      title: "d",
      id: "d_1",
      jobs: ["PENDING", "PENDING"],
    });
    const jobs = jobDirs.map((jobDir) => ({ dir: join(ws.root, jobDir), record: {} as object }));
    const indexing = indexWhileDriving(new Workspace(ws.root), dir, jobs, { intervalMs: 60_000 });
    const row = () => {
      const db = new Database(join(ws.root, "index.sqlite"), { readonly: true });
      try {
        return db.prepare("SELECT state, jobs_pending, jobs_running, jobs_completed FROM experiments").get();
      } finally {
        db.close();
      }
    };
    indexing.flush();
    expect(row()).toEqual({ state: "RUNNING", jobs_pending: 2, jobs_running: 0, jobs_completed: 0 });
    setJobState(ws.root, jobDirs[0]!, "RUNNING");
    indexing.flush(); // the driver's record of job 0 did not change: not looked at
    expect(row()).toMatchObject({ jobs_running: 0 });
    jobs[0]!.record = {};
    indexing.flush();
    expect(row()).toMatchObject({ jobs_pending: 1, jobs_running: 1 });
    for (const [i, job] of jobs.entries()) {
      setJobState(ws.root, jobDirs[i]!, "COMPLETED");
      job.record = {};
    }
    indexing.stop();
    expect(row()).toEqual({ state: "COMPLETED", jobs_pending: 0, jobs_running: 0, jobs_completed: 2 });
    indexing.stop(); // twice is harmless
  });

  it("does nothing, and never throws, when the index cannot be opened", () => {
    const { dir } = writeFakeExperiment(ws.root, { title: "d", id: "d_1", jobs: ["PENDING"] });
    writeFileSync(join(ws.root, "index.sqlite"), "not a database ".repeat(1000));
    const indexing = indexWhileDriving(new Workspace(ws.root), dir, []);
    indexing.flush();
    indexing.stop();
    expect(readFileSync(join(ws.root, "index.sqlite"), "utf8")).toMatch(/^not a database/);
  });
});
