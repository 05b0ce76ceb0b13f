import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Experiment } from "../../src/index.js";
import type { JobStatus } from "../../src/index.js";
import { ensureBuilt, readJson, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";

const chain = join(import.meta.dirname, "..", "fixtures", "experiments", "chain.ts");
let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("reattach");
});
afterEach(() => ws.cleanup());

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const idFrom = (text: string) => /labrun experiment status (\S+)/.exec(text)?.[1];

async function jobsOf(id: string): Promise<JobStatus[]> {
  const exp = await Experiment.fromId(id, { baseDir: ws.root, cleanMode: true });
  return Object.values((await exp.status({ returnDict: true })) as Record<string, JobStatus>);
}

function runsOf(job: JobStatus): number {
  const file = join(job.directory, "runs");
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").length : 0;
}

function experimentDir(id: string): string {
  return join(ws.root, "experiments", "chain", id);
}

describe("re-attaching after the driver is killed with SIGKILL", () => {
  // Kill the detached supervisor at different moments: before, during and between jobs.
  for (const delayMs of [0, 250, 700, 1300]) {
    it(`supervisor killed ${delayMs} ms after launch: resume finishes every job exactly once`, async () => {
      const launched = runCli(["run", chain], {
        workspace: ws.root,
        env: { DETACH: "1", STEP_SECONDS: "0.5" },
      });
      expect(launched.code).toBe(0);
      const id = idFrom(launched.stderr)!;
      const supervisor = readJson<{ pid: number }>(join(experimentDir(id), "supervisor.json")).pid;
      await sleep(delayMs);
      process.kill(supervisor, "SIGKILL");
      await waitFor("the supervisor to die", () => {
        try {
          process.kill(supervisor, 0);
          return false;
        } catch {
          return true;
        }
      });
      await sleep(800); // jobs that were running end while nobody watches

      const list = JSON.parse(runCli(["experiment", "list", "--json"], { workspace: ws.root }).stdout);
      expect(list[0]).toMatchObject({ id, state: "RUNNING", driven: false });
      const resumed = runCli(["experiment", "resume", id], { workspace: ws.root });
      expect(resumed.stderr).toContain("COMPLETED: 4/4");
      expect(resumed.code).toBe(0);
      const jobs = await jobsOf(id);
      expect(jobs.map((j) => j.state)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"]);
      expect(jobs.map(runsOf)).toEqual([1, 1, 1, 1]);
      // Dependencies were respected across the crash.
      const [prep, left, right, joined] = jobs.map((j) => ({
        start: Date.parse(j.startedAt!),
        end: Date.parse(j.endedAt!),
      }));
      expect(left!.start).toBeGreaterThanOrEqual(prep!.end);
      expect(right!.start).toBeGreaterThanOrEqual(prep!.end);
      expect(joined!.start).toBeGreaterThanOrEqual(Math.max(left!.end, right!.end));
    });
  }

  it("a foreground driver killed mid-run: fromId records what ended from the job directories, resume starts the rest", async () => {
    const run = startCli(["run", chain], { workspace: ws.root, env: { STEP_SECONDS: "1" } });
    await waitFor(
      "left and right to run",
      () => /left: RUNNING/.test(run.output().stderr) && /right: RUNNING/.test(run.output().stderr),
    );
    run.child.kill("SIGKILL");
    await run.exited;
    const id = (await waitFor(
      "the experiment on disk",
      () => Experiment.catalog("chain", { baseDir: ws.root })[0],
    ))!;
    const leftDir = (await jobsOf(id))[1]!.directory;
    await waitFor("left to end on its own", () => existsSync(join(leftDir, "exit_code")), 10_000);
    await sleep(300);

    const exp = await Experiment.fromId(id, { baseDir: ws.root, cleanMode: true });
    const recorded = (await exp.status({ returnDict: true })) as Record<string, JobStatus>;
    expect(recorded.prep!.state).toBe("COMPLETED");
    expect(recorded.left!.state).toBe("COMPLETED");
    expect(recorded.right!.state).toBe("COMPLETED");
    expect(recorded.join!.state).toMatch(/PENDING|WAITING/);
    // The end time comes from the job's own record (its wrapper wrote exit_code then), not from when we looked.
    const endedAt = statSync(join(leftDir, "exit_code")).mtimeMs;
    expect(Math.abs(Date.parse(recorded.left!.endedAt!) - endedAt)).toBeLessThan(2);

    const result = await exp.resume();
    expect(result.ok).toBe(true);
    const jobs = await jobsOf(id);
    expect(jobs.map(runsOf)).toEqual([1, 1, 1, 1]);
  });

  it("a job killed with SIGKILL while nobody watched is FAILED with the reason, and its dependents CANCELLED", async () => {
    const launched = runCli(["run", chain], { workspace: ws.root, env: { DETACH: "1", STEP_SECONDS: "5" } });
    const id = idFrom(launched.stderr)!;
    const supervisor = readJson<{ pid: number }>(join(experimentDir(id), "supervisor.json")).pid;
    process.kill(supervisor, "SIGKILL");
    const prepDir = (await jobsOf(id))[0]!.directory;
    const pid = Number(
      (
        await waitFor(
          "prep to start",
          () => existsSync(join(prepDir, "started")) && readFileSync(join(prepDir, "started"), "utf8"),
        )
      ).split(" ")[0],
    );
    process.kill(-pid, "SIGKILL");
    await sleep(200);

    const resumed = runCli(["experiment", "resume", id], { workspace: ws.root });
    expect(resumed.code).toBe(1);
    const jobs = await jobsOf(id);
    expect(jobs[0]).toMatchObject({ state: "FAILED" });
    expect(jobs[0]!.reason).toMatch(/ended without recording an exit code/);
    expect(jobs.slice(1).map((j) => [j.state, j.reason])).toEqual([
      ["CANCELLED", 'dependency "prep" failed'],
      ["CANCELLED", 'dependency "prep" failed'],
      ["CANCELLED", 'dependency "left" cancelled'],
    ]);
  });

  it("refuses to resume an experiment that a live supervisor drives", async () => {
    const launched = runCli(["run", chain], { workspace: ws.root, env: { DETACH: "1", STEP_SECONDS: "2" } });
    const id = idFrom(launched.stderr)!;
    const resumed = runCli(["experiment", "resume", id], { workspace: ws.root });
    expect(resumed.code).toBe(1);
    const driver = /already being driven by process (\d+)/.exec(resumed.stderr);
    expect(driver).not.toBeNull();
    runCli(["experiment", "cancel", id, "--all"], { workspace: ws.root });
    // The supervisor writes its last states after the cancel: let it end before the workspace is removed.
    await waitFor("the supervisor to end", () => !processAlive(Number(driver![1])), 20_000);
  });
});
