import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Experiment } from "../../src/index.js";
import type { JobStatus } from "../../src/index.js";
import { ensureBuilt, readJson, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";

const fixture = join(import.meta.dirname, "..", "fixtures", "experiments", "typed-shared.ts");
let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("reuse");
});
afterEach(() => ws.cleanup());

async function jobsOf(title: string): Promise<Record<string, JobStatus>> {
  const exp = await Experiment.fromTitle(title, { baseDir: ws.root, cleanMode: true });
  return exp.status({ returnDict: true });
}
const runs = (job: JobStatus) => readFileSync(join(job.directory, "runs"), "utf8").trim().split("\n").length;

describe("the same work launched by two experiments at once", () => {
  it("runs once: one experiment runs it, the other waits for it and reuses it", async () => {
    const barrier = join(ws.root, "go");
    const both = ["left", "right"].map((title) =>
      startCli(["run", fixture], { workspace: ws.root, env: { TITLE: title, BARRIER: barrier } }),
    );
    // Both experiments are launched and wait at their gate; then both reach Prepare together.
    await waitFor("both experiments to launch", () =>
      both.every((run) => /gate: RUNNING/.test(run.output().stderr)),
    );
    writeFileSync(barrier, "");
    expect(await Promise.all(both.map((run) => run.exited))).toEqual([0, 0]);
    const left = await jobsOf("left");
    const right = await jobsOf("right");
    expect(left.prepare!.directory).toBe(right.prepare!.directory);
    expect(runs(left.prepare!)).toBe(1);
    for (const jobs of [left, right]) {
      expect(jobs.prepare!.state).toBe("COMPLETED");
      expect(jobs.use!.state).toBe("COMPLETED");
    }
  });

  it("a crashed holder's job is taken over, not run twice: the new experiment watches the running job to its end", async () => {
    const first = runCli(["run", fixture], {
      workspace: ws.root,
      env: { TITLE: "first", DETACH: "1", SECONDS_: "3" },
    });
    expect(first.code).toBe(0);
    const id = /labrun experiment status (\S+)/.exec(first.stderr)![1]!;
    const supervisor = readJson<{ pid: number }>(
      join(ws.root, "experiments", "first", id, "supervisor.json"),
    ).pid;
    const prepareDir = (await jobsOf("first")).prepare!.directory;
    await waitFor("prepare to start", () => existsSync(join(prepareDir, "started")));
    process.kill(supervisor, "SIGKILL"); // its job.lock stays behind, held by a dead process

    const second = runCli(["run", fixture], { workspace: ws.root, env: { TITLE: "second", SECONDS_: "3" } });
    expect(second.code).toBe(0);
    const jobs = await jobsOf("second");
    expect(jobs.prepare).toMatchObject({ state: "COMPLETED", directory: prepareDir });
    expect(runs(jobs.prepare!)).toBe(1);
    expect(jobs.use!.state).toBe("COMPLETED");
  });
});
