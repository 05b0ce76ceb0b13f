import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBuilt, runCli, tempWorkspace } from "../helpers.js";

const fixture = join(import.meta.dirname, "..", "fixtures", "experiments", "typed-shared.ts");
let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("jobs-cli");
});
afterEach(() => ws.cleanup());

const cli = (...args: string[]) => runCli(args, { workspace: ws.root });
interface JobJson {
  taskName: string;
  identity: string;
  state: string;
  dir: string;
}

describe("labrun jobs", () => {
  it("lists, shows and cleans the job directories of the workspace", () => {
    expect(runCli(["run", fixture], { workspace: ws.root, env: { TITLE: "a", SECONDS_: "0" } }).code).toBe(0);
    expect(runCli(["run", fixture], { workspace: ws.root, env: { TITLE: "b", SECONDS_: "0" } }).code).toBe(0);
    const all = JSON.parse(cli("jobs", "list", "--json").stdout) as JobJson[];
    // One prepare (shared by both experiments), one use per experiment.
    expect(all.map((job) => job.taskName).sort()).toEqual(["prepare", "use", "use"]);
    expect(all.every((job) => job.state === "COMPLETED")).toBe(true);
    const prepare = all.find((job) => job.taskName === "prepare")!;
    expect(JSON.parse(cli("jobs", "list", "--task", "prepare", "--json").stdout)).toHaveLength(1);
    const shown = cli("jobs", "show", prepare.identity.slice(0, 10));
    expect(shown.stdout).toContain(prepare.dir);
    expect(shown.stdout).toMatch(/referenced by an experiment: yes/);

    // Forget experiment "a": its own "use" job belongs to no experiment any more; the shared prepare still does.
    rmSync(join(ws.root, "experiments", "a"), { recursive: true });
    const dry = cli("jobs", "clean");
    expect(dry.stdout).toMatch(/would remove use\/[0-9a-f]{64}/);
    expect(dry.stdout).toMatch(/1 job\(s\), .* belong to no experiment/);
    expect(JSON.parse(cli("jobs", "list", "--json").stdout)).toHaveLength(3); // nothing removed yet
    const removed = JSON.parse(cli("jobs", "clean", "--yes", "--json").stdout) as {
      removed: boolean;
      jobs: JobJson[];
    };
    expect(removed.removed).toBe(true);
    expect(removed.jobs).toHaveLength(1);
    expect(existsSync(removed.jobs[0]!.dir)).toBe(false);
    expect(existsSync(prepare.dir)).toBe(true);
    expect(cli("jobs", "clean").stdout).toMatch(/No job is unreferenced/);
  });

  it("answers bad input with a usage error", () => {
    const bad = cli("jobs", "list", "--state", "DONE");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state must be one of/);
    expect(cli("jobs", "show", "ffff").stderr).toMatch(/No job with an identity starting with "ffff"/);
  });
});
