import {
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
  statSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBuilt, readJson, repoRoot, runCli, tempWorkspace } from "../helpers.js";
import { setJobState, writeFakeExperiment } from "./fake-workspace.js";

const fixtures = join(repoRoot, "test", "fixtures");
let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("experiments");
});
afterEach(() => ws.cleanup());

const cli = (...args: string[]) => runCli(args, { workspace: ws.root });
const indexFile = () => join(ws.root, "index.sqlite");

/** Runs the YAML test experiment (prep + two train jobs) and the failing one; returns their directories. */
function runTwoExperiments(): { yaml: string; failing: string } {
  const yaml = runCli(["run-experiment", "experiment.yaml"], {
    workspace: ws.root,
    cwd: join(fixtures, "yaml"),
  });
  expect(yaml.code).toBe(0);
  const failing = cli("run", join(fixtures, "experiments", "failing.ts"));
  expect(failing.code).toBe(1);
  const dirOf = (title: string) => {
    const list = JSON.parse(cli("experiment", "list", "--title", title, "--json").stdout) as {
      dir: string;
    }[];
    return list[0]!.dir;
  };
  return { yaml: dirOf("yaml-test"), failing: dirOf("failing") };
}

function listLines(...args: string[]): string[] {
  const result = cli("experiments", "list", ...args);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout.trimEnd().split("\n");
}

describe("labrun experiments", () => {
  it("lists launched experiments as `title [host] (done/total jobs)` with id and state, indexed by their drivers", () => {
    const dirs = runTwoExperiments();
    // The drivers wrote their rows: the index holds both before any listing.
    const db = new Database(indexFile(), { readonly: true });
    const rows = db
      .prepare("SELECT title, host, state, jobs_total, jobs_completed FROM experiments ORDER BY created_at")
      .all();
    db.close();
    expect(rows).toEqual([
      { title: "yaml-test", host: hostname(), state: "COMPLETED", jobs_total: 3, jobs_completed: 3 },
      { title: "failing", host: hostname(), state: "FAILED", jobs_total: 2, jobs_completed: 0 },
    ]);

    const yamlId = readJson<{ id: string }>(join(dirs.yaml, "experiment.json")).id;
    const failingId = readJson<{ id: string }>(join(dirs.failing, "experiment.json")).id;
    const lines = listLines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^yaml-test \\[${hostname()}\\] \\(3/3 jobs\\)\\s+${yamlId}\\s+COMPLETED$`),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^failing \\[${hostname()}\\] \\(0/2 jobs\\)\\s+${failingId}\\s+FAILED$`),
    );
    // informations.json agrees with what is listed.
    expect(readJson(join(dirs.yaml, "informations.json"))).toMatchObject({
      hostname: hostname(),
      id: "yaml-test",
    });

    // Columns are aligned over the lines shown, so compare with spaces squashed.
    const squash = (list: string[]) => list.map((line) => line.replace(/\s+/g, " "));
    expect(squash(listLines("--state", "failed"))).toEqual(squash([lines[1]!]));
    expect(squash(listLines("--title", "yaml-test"))).toEqual(squash([lines[0]!]));
    expect(listLines("--host", hostname())).toEqual(lines);
    expect(listLines("--host", "elsewhere")).toEqual([`No experiment matches in ${ws.root}.`]);
    const json = JSON.parse(cli("experiments", "list", "--json").stdout) as Record<string, unknown>[];
    expect(json[1]).toMatchObject({
      id: failingId,
      title: "failing",
      host: hostname(),
      state: "FAILED",
      dir: dirs.failing,
      jobs: { total: 2, FAILED: 1, CANCELLED: 1, COMPLETED: 0 },
    });

    const bad = cli("experiments", "list", "--state", "DONE");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("[USAGE]");
    expect(bad.stderr).toContain("PENDING, RUNNING, COMPLETED, FAILED, CANCELLED");
  });

  it("resync rebuilds a deleted index, forgets deleted experiment folders and reports counts; list follows the files", () => {
    const dirs = runTwoExperiments();
    const before = listLines();

    rmSync(indexFile());
    const resync = cli("experiments", "resync");
    expect(resync.code).toBe(0);
    expect(resync.stdout).toMatch(/Indexed 2 experiment\(s\) with 5 job\(s\) from .* \(2 new, 0 removed/);
    expect(listLines()).toEqual(before);

    // A missing index is rebuilt by list itself, silently.
    rmSync(indexFile());
    expect(listLines()).toEqual(before);
    expect(existsSync(indexFile())).toBe(true);

    rmSync(dirs.failing, { recursive: true });
    const json = JSON.parse(cli("experiments", "resync", "--json").stdout) as Record<string, number>;
    expect(json).toMatchObject({ experiments: 1, jobs: 3, removed: 1, added: 0 });
    expect(listLines().map((line) => line.replace(/\s+/g, " "))).toEqual([before[0]!.replace(/\s+/g, " ")]);

    // Without resync too: list notices a folder that is gone.
    rmSync(dirs.yaml, { recursive: true });
    expect(listLines()).toEqual([
      `No experiments in ${ws.root} yet. Start one with \`labrun run experiment.ts\`.`,
    ]);
  });

  it("keeps the hosts the files record (an experiment launched on another machine)", () => {
    const dirs = runTwoExperiments();
    for (const [file, key] of [
      [join(dirs.yaml, "experiment.json"), "host"],
      [join(dirs.yaml, "informations.json"), "hostname"],
    ] as const)
      writeFileSync(file, JSON.stringify({ ...readJson(file), [key]: "gpu-node-7" }, null, 2));
    rmSync(indexFile());
    expect(cli("experiments", "resync").code).toBe(0);
    expect(listLines("--host", "gpu-node-7")).toEqual([
      expect.stringMatching(/^yaml-test \[gpu-node-7\] \(3\/3 jobs\)/),
    ]);
    expect(listLines("--host", hostname())).toEqual([expect.stringMatching(/^failing \[/)]);
  });

  it("a job file changed behind the index's back shows at the next list", () => {
    const { jobDirs } = writeFakeExperiment(ws.root, {
      title: "outside",
      id: "outside_1",
      host: "n1",
      jobs: ["COMPLETED", "RUNNING"],
    });
    expect(listLines()).toEqual([
      expect.stringMatching(/^outside \[n1\] \(1\/2 jobs\)\s+outside_1\s+RUNNING/),
    ]);
    setJobState(ws.root, jobDirs[1]!, "COMPLETED");
    expect(listLines()).toEqual([
      expect.stringMatching(/^outside \[n1\] \(2\/2 jobs\)\s+outside_1\s+COMPLETED$/),
    ]);
  });

  it("rebuilds a damaged index with a warning instead of failing", () => {
    for (let i = 0; i < 300; i++)
      writeFakeExperiment(ws.root, {
        title: `t${i % 7}`,
        id: `e_${String(i).padStart(3, "0")}`,
        jobs: ["COMPLETED", "FAILED"],
        finished: true,
      });
    const expected = listLines();
    expect(expected).toHaveLength(300);

    // Not a database at all.
    writeFileSync(indexFile(), "garbage ".repeat(4096));
    let result = cli("experiments", "list");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning .*index\.sqlite: the workspace index was damaged \(.*\); rebuilt/,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stdout.trimEnd().split("\n")).toEqual(expected);
    expect(listLines()).toEqual(expected); // rebuilt: no warning the second time

    // A database whose pages were overwritten in the middle.
    const size = statSync(indexFile()).size;
    const fd = openSync(indexFile(), "r+");
    writeSync(fd, Buffer.alloc(Math.floor(size / 2), 0xa5), 0, Math.floor(size / 2), 4096);
    closeSync(fd);
    result = cli("experiments", "list");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/damaged/);
    expect(result.stdout.trimEnd().split("\n")).toEqual(expected);

    // resync too.
    writeFileSync(indexFile(), readFileSync(indexFile()).subarray(0, 100));
    result = cli("experiments", "resync");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/damaged/);
    expect(result.stdout).toMatch(/Indexed 300 experiment\(s\) with 600 job\(s\)/);
  });
});
